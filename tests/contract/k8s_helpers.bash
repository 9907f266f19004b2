# What the tests against the fake API servers share: the cluster's CA and the server's
# certificate for 127.0.0.1 (and kubernetes.default.svc) in $T, and a command to fake_pods.py.

# certs: a CA, a server certificate for 127.0.0.1 signed by it, and another CA that did not sign it.
certs() {
	local ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
	openssl req -x509 "${ec[@]}" -keyout "$T/ca.key" -out "$T/ca.crt" -days 1 -subj /CN=test-cluster-ca 2>/dev/null
	openssl req -x509 "${ec[@]}" -keyout "$T/other.key" -out "$T/other.crt" -days 1 -subj /CN=other-ca 2>/dev/null
	openssl req "${ec[@]}" -keyout "$T/server.key" -out "$T/server.csr" -subj /CN=kube-apiserver 2>/dev/null
	printf 'subjectAltName=IP:127.0.0.1,DNS:kubernetes.default.svc\nextendedKeyUsage=serverAuth\n' > "$T/ext"
	openssl x509 -req -in "$T/server.csr" -CA "$T/ca.crt" -CAkey "$T/ca.key" -CAcreateserial \
		-out "$T/server.crt" -days 1 -extfile "$T/ext" 2>/dev/null
}

# ctl JSON: a command to fake_pods.py's control port ($CTL).
ctl() { curl -sf --noproxy '*' -X POST --data "$1" "$CTL" > /dev/null; }
