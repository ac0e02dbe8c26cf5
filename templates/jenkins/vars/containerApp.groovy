// The platform's pipeline for a container application on Jenkins, as a shared-library step.
// The application's Jenkinsfile (see ../Jenkinsfile):
//
//   @Library('cicd-platform@<40-hex commit of this repository>') _
//   containerApp(app: 'api', image: 'team-a/api', registryServer: 'registry.example.com',
//                agentImage: 'jenkins/inbound-agent@sha256:…',
//                stagingUrl: 'https://api.staging.example.com', e2eCommand: 'npm run e2e')
//
// The stages are the GitLab template's and the GitHub workflow's; each runs a step script of the
// job image (/opt/cicd-platform/steps, from ci/steps of this repository) with the same variables.
// Credentials (Jenkins credentials of the folder or the controller, ids below; all overridable):
//   registry-push       username/password  REGISTRY_USERNAME, REGISTRY_PASSWORD
//   cosign-signing-key  secret file        SIGNING_KEY
//   cosign-passphrase   secret text        SIGNING_PASSPHRASE
//   cosign-public-key   secret file        SIGNING_PUBLIC_KEY
//   tenant-kubeconfig-<environment>   secret file   TENANT_KUBECONFIG (the tenant fan-out's deploy credential)
//   release-passphrase-<environment>  secret text   PULUMI_CONFIG_PASSPHRASE (the release stacks' secrets)
//   release-push-token                secret text   PUSH_TOKEN (commits each promotion's stack file)
// Production waits in an `input` that only the members of `productionSubmitters` may approve.
def call(Map config) {
    Map settings = [
        containerfile: 'Containerfile',
        context: '.',
        testCommand: 'npm test',
        testServices: '',
        e2eCommand: '',
        stagingUrl: '',
        e2eWaitSeconds: '60',
        severity: 'HIGH,CRITICAL',
        storageDriver: 'vfs',
        registryTlsVerify: 'true',
        stagingStack: 'staging',
        productionStack: 'production',
        platformBranch: 'main',
        productionSubmitters: 'production-approvers',
        seccompProfile: 'cicd-platform/rootless-buildah.json',
        deployBranch: 'main',
        registryCredentials: 'registry-push',
        signingKeyCredentials: 'cosign-signing-key',
        signingPassphraseCredentials: 'cosign-passphrase',
        signingPublicKeyCredentials: 'cosign-public-key',
        pushTokenCredentials: 'release-push-token',
        releaseDir: 'deploy',
        tenantStateBackend: '',
        tenantPullPrefix: '',
        prometheusUrl: '',
        // Node.js for the deploy (it installs the pinned Pulumi CLI itself); the GitLab template's default.
        deployImage: 'node:20-bookworm@sha256:8f693eaa7e0a8e71560c9a82b55fd54c2ae920a2ba5d2cde28bac7d1c01c9ba5',
        toolchainCache: '',
        // The job image the platform's own pipeline published last (scripts/ci/record-tools-image
        // writes it); empty until the first publication, and then required from the caller.
        toolsImage: '',
    ] + config
    ['app', 'image', 'registryServer', 'toolsImage', 'agentImage', 'platformRepository', 'platformRef',
     'tenantStateBackend', 'tenantPullPrefix'].each { key ->
        if (!settings[key]) {
            error("containerApp: '${key}' is required")
        }
    }
    if (!(settings.platformRef ==~ /[0-9a-f]{40}/)) {
        error("containerApp: 'platformRef' must be a full commit SHA, not '${settings.platformRef}'")
    }
    ['toolsImage', 'agentImage', 'deployImage'].each { key ->
        if (!(settings[key] ==~ /[^@\s]+@sha256:[0-9a-f]{64}/)) {
            error("containerApp: '${key}' must be pinned by digest (<image>@sha256:<64 hex>)")
        }
    }
    String agentPod = libraryResource('cicd-platform/agent-pod.yaml')
        .replace('@SECCOMP_PROFILE@', settings.seccompProfile)
        .replace('@AGENT_IMAGE@', settings.agentImage)
        .replace('@TOOLS_IMAGE@', settings.toolsImage)
        .replace('@DEPLOY_IMAGE@', settings.deployImage)

    pipeline {
        agent {
            kubernetes {
                yaml agentPod
                defaultContainer 'build'
            }
        }
        options {
            disableConcurrentBuilds()
            timeout(time: 2, unit: 'HOURS')
        }
        environment {
            CICD_STEPS = '/opt/cicd-platform/steps'
            APP = "${settings.app}"
            IMAGE_REPOSITORY = "${settings.image}"
            REGISTRY_SERVER = "${settings.registryServer}"
            STORAGE_DRIVER = "${settings.storageDriver}"
            TLS_VERIFY = "${settings.registryTlsVerify}"
            IMAGE_ARCHIVE = 'image.tar'
            SBOM_FILE = 'sbom.spdx.json'
            IMAGE_ENV_FILE = 'image.env'
        }
        stages {
            stage('Build') {
                environment {
                    REVISION = "${env.GIT_COMMIT}"
                    SOURCE_URL = "${env.GIT_URL}"
                    CONTAINERFILE = "${settings.containerfile}"
                    CONTEXT = "${settings.context}"
                }
                steps {
                    withCredentials([usernamePassword(credentialsId: settings.registryCredentials,
                            usernameVariable: 'REGISTRY_USERNAME', passwordVariable: 'REGISTRY_PASSWORD')]) {
                        sh '"$CICD_STEPS/build"'
                    }
                }
            }
            stage('Checks') {
                parallel {
                    stage('Test') {
                        environment {
                            TEST_COMMAND = "${settings.testCommand}"
                            TEST_SERVICES = "${settings.testServices}"
                        }
                        steps {
                            sh '"$CICD_STEPS/test"'
                        }
                    }
                    stage('Secret scan') {
                        steps {
                            sh '"$CICD_STEPS/secret-scan"'
                        }
                    }
                    stage('Vulnerability scan') {
                        environment {
                            SEVERITY = "${settings.severity}"
                            SCAN_FORMAT = 'json'
                            SCAN_REPORT = 'trivy.json'
                        }
                        steps {
                            sh '"$CICD_STEPS/scan"'
                        }
                        post {
                            always {
                                archiveArtifacts artifacts: 'trivy.json', allowEmptyArchive: true
                            }
                        }
                    }
                    stage('SBOM') {
                        steps {
                            sh '"$CICD_STEPS/sbom"'
                            archiveArtifacts artifacts: 'sbom.spdx.json'
                        }
                    }
                }
            }
            // Builds of other branches and pull requests stop here: only the deploy branch publishes.
            stage('Publish') {
                when { expression { env.BRANCH_NAME == settings.deployBranch } }
                environment {
                    REVISION = "${env.GIT_COMMIT}"
                }
                steps {
                    withCredentials([
                        usernamePassword(credentialsId: settings.registryCredentials,
                            usernameVariable: 'REGISTRY_USERNAME', passwordVariable: 'REGISTRY_PASSWORD'),
                        file(credentialsId: settings.signingKeyCredentials, variable: 'SIGNING_KEY'),
                        string(credentialsId: settings.signingPassphraseCredentials, variable: 'SIGNING_PASSPHRASE'),
                    ]) {
                        sh '"$CICD_STEPS/publish"'
                    }
                    archiveArtifacts artifacts: 'image.env'
                }
            }
            stage('Verify') {
                when { expression { env.BRANCH_NAME == settings.deployBranch } }
                steps {
                    withCredentials([
                        usernamePassword(credentialsId: settings.registryCredentials,
                            usernameVariable: 'REGISTRY_USERNAME', passwordVariable: 'REGISTRY_PASSWORD'),
                        file(credentialsId: settings.signingPublicKeyCredentials, variable: 'SIGNING_PUBLIC_KEY'),
                    ]) {
                        sh '. ./image.env && export IMAGE_DIGEST IMAGE_REFERENCE && "$CICD_STEPS/verify"'
                    }
                }
            }
            stage('Deploy staging') {
                when { expression { env.BRANCH_NAME == settings.deployBranch } }
                environment {
                    DEPLOY_ENVIRONMENT = "${settings.stagingStack}"
                    STAGING_ENVIRONMENT = "${settings.stagingStack}"
                    APP_REPOSITORY_DIR = "${env.WORKSPACE}"
                    RELEASE_DIR = "${settings.releaseDir}"
                    RELEASE_BRANCH = "${settings.deployBranch}"
                    TENANT_STATE_BACKEND = "${settings.tenantStateBackend}"
                    TENANT_PULL_PREFIX = "${settings.tenantPullPrefix}"
                    PROMETHEUS_URL = "${settings.prometheusUrl}"
                    CICD_CACHE = "${settings.toolchainCache}"
                    GIT_AUTHOR_NAME = 'jenkins'
                    GIT_AUTHOR_EMAIL = 'jenkins@localhost'
                }
                steps {
                    // The release program and its pinned toolchain: the platform at the pinned commit.
                    dir('.platform') {
                        checkout([$class: 'GitSCM', branches: [[name: settings.platformRef]],
                            userRemoteConfigs: [[url: settings.platformRepository]]])
                    }
                    lock(resource: "${settings.app}-${settings.stagingStack}") {
                        withCredentials([
                            file(credentialsId: "tenant-kubeconfig-${settings.stagingStack}", variable: 'TENANT_KUBECONFIG'),
                            string(credentialsId: "release-passphrase-${settings.stagingStack}",
                                variable: 'PULUMI_CONFIG_PASSPHRASE'),
                            string(credentialsId: settings.pushTokenCredentials, variable: 'PUSH_TOKEN'),
                        ]) {
                            container('deploy') {
                                sh '. ./image.env && export IMAGE_DIGEST && bash .platform/ci/steps/deploy'
                            }
                        }
                    }
                }
            }
            // The canary is promoted on staging: its release answers at stagingUrl. A failure here
            // stops the pipeline before production.
            stage('E2E staging') {
                when {
                    expression { env.BRANCH_NAME == settings.deployBranch && settings.stagingUrl != '' }
                }
                environment {
                    E2E_COMMAND = "${settings.e2eCommand}"
                    E2E_URL = "${settings.stagingUrl}"
                    E2E_WAIT_SECONDS = "${settings.e2eWaitSeconds}"
                }
                steps {
                    sh '"$CICD_STEPS/e2e"'
                }
            }
            stage('Deploy production') {
                when {
                    beforeInput true
                    expression { env.BRANCH_NAME == settings.deployBranch }
                }
                input {
                    message 'Deploy to production?'
                    ok 'Deploy'
                    submitter "${settings.productionSubmitters}"
                }
                environment {
                    DEPLOY_ENVIRONMENT = "${settings.productionStack}"
                    STAGING_ENVIRONMENT = "${settings.stagingStack}"
                    APP_REPOSITORY_DIR = "${env.WORKSPACE}"
                    RELEASE_DIR = "${settings.releaseDir}"
                    RELEASE_BRANCH = "${settings.deployBranch}"
                    TENANT_STATE_BACKEND = "${settings.tenantStateBackend}"
                    TENANT_PULL_PREFIX = "${settings.tenantPullPrefix}"
                    PROMETHEUS_URL = "${settings.prometheusUrl}"
                    CICD_CACHE = "${settings.toolchainCache}"
                    GIT_AUTHOR_NAME = 'jenkins'
                    GIT_AUTHOR_EMAIL = 'jenkins@localhost'
                }
                steps {
                    // The release program and its pinned toolchain: the platform at the pinned commit.
                    dir('.platform') {
                        checkout([$class: 'GitSCM', branches: [[name: settings.platformRef]],
                            userRemoteConfigs: [[url: settings.platformRepository]]])
                    }
                    lock(resource: "${settings.app}-${settings.productionStack}") {
                        withCredentials([
                            file(credentialsId: "tenant-kubeconfig-${settings.productionStack}", variable: 'TENANT_KUBECONFIG'),
                            string(credentialsId: "release-passphrase-${settings.productionStack}",
                                variable: 'PULUMI_CONFIG_PASSPHRASE'),
                            string(credentialsId: settings.pushTokenCredentials, variable: 'PUSH_TOKEN'),
                        ]) {
                            container('deploy') {
                                sh '. ./image.env && export IMAGE_DIGEST && bash .platform/ci/steps/deploy'
                            }
                        }
                    }
                }
            }
        }
    }
}
