#!/usr/bin/env bash
# The main job: a real TLS terminator in front of a real backend, with a
# client talking to it, on this machine's loopback only.
#   1. makes a test CA and an ECDSA P-256 and an RSA 2048 certificate,
#   2. starts a plaintext HTTP backend (python3 http.server),
#   3. starts tlsgate in front of it,
#   4. fetches a page and a 100 MiB download with curl (SHA-256 checked),
#      prints the negotiated parameters and the throughput,
#   5. prints tlsgate's counters and stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
TLSGATE=${TLSGATE:-$ROOT/build/app/tlsgate}
SIZE_MIB=${TG_DEMO_MIB:-100}

work=$(mktemp -d /tmp/tlsgate-demo.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() {
	for _ in $(seq 100); do
		(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
		sleep 0.1
	done
	echo "nothing listens on port $1" >&2
	return 1
}

echo "== 1. certificates (in $work)"
cd "$work"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
	-subj "/CN=tlsgate demo CA" -keyout ca.key -out ca.pem 2>/dev/null
for kind in ec rsa; do
	if [ $kind = ec ]; then alg=(-newkey ec -pkeyopt ec_paramgen_curve:P-256); else alg=(-newkey rsa:2048); fi
	openssl req -new "${alg[@]}" -nodes -subj "/CN=localhost" -keyout $kind.key -out $kind.csr 2>/dev/null
	openssl x509 -req -in $kind.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
		-extfile <(printf "subjectAltName=DNS:localhost,DNS:www.example.com\nextendedKeyUsage=serverAuth") \
		-out $kind.pem 2>/dev/null
	echo "   $kind.pem: $(openssl x509 -in $kind.pem -noout -subject -ext subjectAltName | tr '\n' ' ')"
done

echo "== 2. backend: python3 http.server on 127.0.0.1"
mkdir -p www
echo "<h1>hello through tlsgate</h1>" > www/index.html
head -c $((SIZE_MIB * 1024 * 1024)) /dev/urandom > www/big.bin
want=$(sha256sum www/big.bin | cut -d' ' -f1)
bport=$(free_port)
python3 -m http.server "$bport" --bind 127.0.0.1 --directory www >backend.log 2>&1 &
pids+=($!)
wait_port "$bport"

echo "== 3. tlsgate"
port=$(free_port)
aport=$(free_port)
set -x
"$TLSGATE" --listen 127.0.0.1:$port --cert ec.pem --key ec.key --cert rsa.pem --key rsa.key \
	--backend 127.0.0.1:$bport --alpn http/1.1 --admin 127.0.0.1:$aport \
	--access-log "$work/access.log" >tlsgate.log 2>&1 &
{ set +x; } 2>/dev/null
pids+=($!)
wait_port "$port"
sed 's/^/   /' tlsgate.log

url=https://localhost:$port
echo "== 4. client: curl"
curl -sS --cacert ca.pem --resolve localhost:$port:127.0.0.1 -v "$url/index.html" 2>curl.err | sed 's/^/   page: /'
grep -E "SSL connection using|ALPN: server accepted|subject:" curl.err | sed 's/^\* */   /'
curl -sS --cacert ca.pem --resolve localhost:$port:127.0.0.1 --ciphers ECDHE-RSA-AES256-GCM-SHA384 \
	-v -o /dev/null "$url/index.html" 2>&1 | grep -E "SSL connection using" | sed 's/^\* */   RSA certificate: /'
echo "   downloading $SIZE_MIB MiB ..."
read -r code speed < <(curl -sS --cacert ca.pem --resolve localhost:$port:127.0.0.1 \
	-o got.bin -w '%{http_code} %{speed_download}\n' "$url/big.bin")
got=$(sha256sum got.bin | cut -d' ' -f1)
echo "   HTTP $code, $(python3 -c "print(f'{$speed*8/1e9:.2f}')") Gbit/s (curl, wall clock, client and server share this machine)"
if [ "$got" = "$want" ]; then echo "   SHA-256 matches: $got"; else echo "   SHA-256 MISMATCH" >&2; exit 1; fi

echo "== 5. tlsgate stats"
"$TLSGATE" stats --admin 127.0.0.1:$aport | sed 's/^/   /'
echo "   access log:"
sed 's/^/   /' "$work/access.log"
echo "== done: stopping tlsgate (SIGTERM drains) and the backend"
