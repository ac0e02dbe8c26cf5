# shellcheck shell=bash disable=SC2034,SC2153  # the variables are cp's, set before it sources this
# The throwaway CA, the components' certificates and the kubeconfigs that carry them.
# Sourced by ../cp, which sets the variables these use (DIR, PKI, RUN, LOGS, the ports…).

gen_key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
sign_cert() { # name subject ext(client|server) [san]   (CA: $SIGNING_CA, default ca)
  local n="$1" subj="$2" kind="$3" san="${4:-}" ext="$PKI/$1.ext" ca="${SIGNING_CA:-ca}"
  gen_key "$PKI/$n.key"
  openssl req -new -key "$PKI/$n.key" -subj "$subj" -out "$PKI/$n.csr" 2>/dev/null
  {
    echo "basicConstraints=critical,CA:FALSE"
    echo "keyUsage=critical,digitalSignature,keyEncipherment"
    if [[ "$kind" == server ]]; then
      echo "extendedKeyUsage=serverAuth"
      echo "subjectAltName=$san"
    else
      echo "extendedKeyUsage=clientAuth"
    fi
  } >"$ext"
  openssl x509 -req -in "$PKI/$n.csr" -CA "$PKI/$ca.crt" -CAkey "$PKI/$ca.key" -CAcreateserial \
    -days 365 -sha256 -extfile "$ext" -out "$PKI/$n.crt" 2>/dev/null
  rm -f "$PKI/$n.csr" "$ext"
}
make_ca() { # name CN
  gen_key "$PKI/$1.key"
  openssl req -x509 -new -key "$PKI/$1.key" -subj "/CN=$2" -days 3650 -sha256 \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" \
    -out "$PKI/$1.crt" 2>/dev/null
}
make_pki() {
  command -v openssl >/dev/null 2>&1 || die "openssl not found (needed for the throwaway CA)"
  mkdir -p "$PKI"; chmod 700 "$PKI"
  make_ca ca cicd-platform-local-ca
  # Front-proxy (request-header) CA: for aggregated APIs; without it every component logs
  # "missing content for CA bundle ... requestheader-client-ca-file".
  make_ca front-proxy-ca cicd-platform-local-front-proxy-ca
  SIGNING_CA=front-proxy-ca sign_cert front-proxy-client "/CN=front-proxy-client" client
  sign_cert apiserver "/CN=kube-apiserver" server \
    "IP:127.0.0.1,IP:$SERVICE_IP,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
  sign_cert admin "/O=system:masters/CN=cicd-admin" client
  sign_cert kube-controller-manager "/CN=system:kube-controller-manager" client
  sign_cert kube-scheduler "/CN=system:kube-scheduler" client
  sign_cert kwok "/O=system:masters/CN=kwok-controller" client
  # Service-account token signing key pair.
  gen_key "$PKI/sa.key"
  openssl pkey -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub" 2>/dev/null
  chmod 600 "$PKI"/*.key
}
write_kubeconfig() { # out user
  local out="$1" user="$2"
  cat >"$out" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: cicd-local
  cluster:
    server: https://127.0.0.1:$APISERVER_PORT
    certificate-authority-data: $(base64 -w0 <"$PKI/ca.crt")
users:
- name: $user
  user:
    client-certificate-data: $(base64 -w0 <"$PKI/$user.crt")
    client-key-data: $(base64 -w0 <"$PKI/$user.key")
contexts:
- name: cicd-local
  context:
    cluster: cicd-local
    user: $user
current-context: cicd-local
EOF
  chmod 600 "$out"
}
