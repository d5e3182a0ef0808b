#!/usr/bin/env bash
# Fuzzes the parsers that read what the network sends: scripts/fuzz.sh [SECONDS_PER_TARGET]
# (default 20, what CI runs; for a real search give an hour or more: scripts/fuzz.sh 3600).
# Targets (fuzz/fuzz_targets): cms_verify (pki::Verifier::verify_cms and the CMS parser), x509
# (certificates, CRLs, OCSP), ids (IIN, BIN, phone, e-mail, names) and upload (format sniffing
# and image decoding of uploaded files). Installs cargo-fuzz when it is missing. The toolchain is
# stable: RUSTC_BOOTSTRAP=1 lets cargo-fuzz pass the sanitizer flags it needs.
# Seeds: NCA's test material (read in place from shared/nca-test when it is there) and the output
# of a fresh test CA made by `mektep pki`. A crash stops the script with the input saved under
# fuzz/artifacts/<target>/.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_TARGET="${1:-20}"
# Only for cargo fuzz: in the environment of a normal build it would make cargo rebuild everything.
fuzz() { RUSTC_BOOTSTRAP=1 cargo fuzz "$@"; }

if ! fuzz --version >/dev/null 2>&1; then
  echo "== installing cargo-fuzz"
  cargo install cargo-fuzz --locked
fi
# libFuzzer is C++: cargo-fuzz compiles it with the system's compiler.
if ! command -v c++ >/dev/null 2>&1; then
  as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
  as_root apt-get update -qq && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq g++ >/dev/null
fi

# ---- Seeds --------------------------------------------------------------------------------------
# MEKTEP_BIN: a mektep binary already built (scripts/test.sh has one); otherwise build it.
MEKTEP="${MEKTEP_BIN:-}"
if [ -z "$MEKTEP" ]; then
  cargo build -q -p mektep
  MEKTEP="${CARGO_TARGET_DIR:-target}/debug/mektep"
fi
NCA="${MEKTEP_NCA_TEST:-../shared/nca-test}"
SEEDS="$(mktemp -d)"
trap 'rm -rf "$SEEDS"' EXIT
CORPUS=fuzz/corpus
mkdir -p "$CORPUS"/{cms_verify,x509,ids,upload}

"$MEKTEP" pki init-test-ca "$SEEDS/ca" --name fuzz >/dev/null
printf 'mektep-fuzz' >"$SEEDS/content"
"$MEKTEP" pki issue --ca "$SEEDS/ca" --iin 900101300015 --surname ТЕСТОВ --given-name ТЕСТ \
  --kind auth --out "$SEEDS/auth.pem" >/dev/null
"$MEKTEP" pki issue --ca "$SEEDS/ca" --iin 900101300015 --surname ТЕСТОВ --given-name ТЕСТ \
  --kind sign --out "$SEEDS/sign.pem" >/dev/null
"$MEKTEP" pki issue --ca "$SEEDS/ca" --iin 800202400021 --surname ИВАНОВА --given-name МАРИЯ \
  --bin 123456789021 --org "Мектеп" --role first-head --kind auth --out "$SEEDS/head.pem" >/dev/null
for key in auth sign head; do
  "$MEKTEP" pki sign --key "$SEEDS/$key.pem" --data "$SEEDS/content" --out "$CORPUS/cms_verify/testca-$key.der" >/dev/null
  "$MEKTEP" pki sign --key "$SEEDS/$key.pem" --data "$SEEDS/content" --detached --out "$CORPUS/cms_verify/testca-$key-detached.der" >/dev/null
  "$MEKTEP" pki sign --key "$SEEDS/$key.pem" --data "$SEEDS/content" --pem --out "$CORPUS/cms_verify/testca-$key.pem" >/dev/null
  # The certificate alone, as DER.
  sed -n '/BEGIN CERTIFICATE/,/END CERTIFICATE/p' "$SEEDS/$key.pem" | grep -v -- ----- | base64 -d >"$CORPUS/x509/testca-$key.der"
done
"$MEKTEP" pki revoke --ca "$SEEDS/ca" --cert "$SEEDS/head.pem" --reason keyCompromise >/dev/null
cp "$SEEDS/ca/ca.crl" "$CORPUS/x509/testca.crl"
for pem in root ca; do
  grep -v -- ----- "$SEEDS/ca/$pem.pem" | base64 -d >"$CORPUS/x509/testca-$pem.der"
done
cat "$SEEDS/ca/ca.pem" >"$SEEDS/trust.pem"

if [ -d "$NCA" ]; then
  # Read in place: the CMS (base64 as NCALayer returns it), certificates, CRL and OCSP answers.
  for f in "$NCA"/ncanode-go-testdata/*/*/*.cms; do cp "$f" "$CORPUS/cms_verify/nca-$(basename "$f")"; done
  for f in "$NCA"/ncanode-go-testdata/*/*/*.cer "$NCA"/certs/* "$NCA"/crl/* "$NCA"/ocsp/* "$NCA"/ca/*; do
    cp "$f" "$CORPUS/x509/nca-$(basename "$f")"
  done
  cat "$NCA/ca/nca_rsa_test.crt" >>"$SEEDS/trust.pem"
else
  echo "== $NCA not found: seeds from the test CA only"
fi
export MEKTEP_FUZZ_TRUST="$SEEDS/trust.pem"

# Identifiers, valid and nearly valid.
i=0
for s in 900101300015 '  900101300015 ' 900101300016 123456789021 '+7 701 234 56 78' 87012345678 \
  '8 (701) 234-56-78' parent@example.kz 'Ата.Ана+1@Мектеп.kz' 'a@b' 'Жұмабаев Әлихан' "O'Brien-Ли" ''; do
  printf '%s' "$s" >"$CORPUS/ids/seed-$i"; i=$((i + 1))
done
# Uploads: PNGs (python3's zlib; the 30×40 one has the 3×4 photo's shape), a PDF, and JPEG headers.
python3 - "$CORPUS/upload" <<'PY'
import struct, sys, zlib
out = sys.argv[1]
def png(w, h):
    raw = b"".join(b"\x00" + b"\x80\x20\x20" * w for _ in range(h))
    chunk = lambda k, d: struct.pack(">I", len(d)) + k + d + struct.pack(">I", zlib.crc32(k + d))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
open(f"{out}/photo.png", "wb").write(png(30, 40) + b"\x01")
open(f"{out}/scan.png", "wb").write(png(64, 16))
open(f"{out}/doc.pdf", "wb").write(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
# The start of a baseline JPEG (markers and tables): the fuzzer grows scans from it.
jpeg = bytes.fromhex(
    "ffd8ffe000104a46494600010100000100010000ffdb004300080606070605080707070909080a0c140d0c0b0b0c1912130f141d1a1f1e1d1a1c1c20242e2720222c231c1c2837292c30313434341f27393d38323c2e333432"
    "ffc0000b080008000801011100ffc4001f0000010501010101010100000000000000000102030405060708090a0bffc400b5100002010303020403050504040000017d01020300041105122131410613516107227114328191a1082342b1c11552d1f02433627282090a161718191a25262728292a3435363738393a434445464748494a535455565758595a636465666768696a737475767778797a838485868788898a92939495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9bac2c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae1e2e3e4e5e6e7e8e9eaf1f2f3f4f5f6f7f8f9fa"
    "ffda0008010100003f00d2cf20ffd9")
open(f"{out}/grey.jpg", "wb").write(jpeg)
PY
if command -v convert >/dev/null 2>&1; then
  convert -size 30x40 xc:gray70 "$CORPUS/upload/photo.jpg" 2>/dev/null || true
fi

# ---- Runs ---------------------------------------------------------------------------------------
echo "== building the fuzz targets"
fuzz build -O
for target in cms_verify x509 ids upload; do
  echo "== fuzzing $target for ${SECONDS_PER_TARGET}s"
  log="$(mktemp)"
  if ! fuzz run -O "$target" -- \
      -max_total_time="$SECONDS_PER_TARGET" -rss_limit_mb=2048 -max_len=262144 -timeout=10 \
      -print_final_stats=1 >"$log" 2>&1; then
    tail -60 "$log"
    echo "FAIL: fuzz target $target found a crash (input under fuzz/artifacts/$target/)" >&2
    exit 1
  fi
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || true)
  speed=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' || true)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 || true)
  echo "   $target: ${runs:-?} executions, ${speed:-?}/s, $cov"
  rm -f "$log"
done
