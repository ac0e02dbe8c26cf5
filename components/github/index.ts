export { type DeployWorkflowApp, type DeployWorkflowOptions, renderDeployWorkflow } from "./deploy-workflow";
export {
    GITHUB_ENVIRONMENTS,
    type GitHubEnvironment,
    GitHubRepositorySettings,
    type GitHubRepositorySettingsArgs,
} from "./repository-settings";
export { ApplicationRepository, type ApplicationRepositoryArgs } from "./repository-files";
