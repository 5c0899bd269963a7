#!/usr/bin/env bash
# The loanchain story on the local devnet, step by step, in about a minute once the binaries are built:
#
#   scripts/demo.sh
#
#   1. an institution registers three investors and three borrowers (personal e-seals from the seal
#      authority), the custodian bank credits them, the institution lists loans A, B and C; B and C
#      are funded at once so their first installments fall due while we look at A
#   2. three investors fund loan A; full funding activates it
#   3. the repayment schedule fixed at activation
#   4. a repayment split among the three claim holders
#   5. loan B overdue; the guarantor buys the claims back
#   6. loan C overdue, nobody buys back; the risk pool compensates the investors
#   7. a claim of loan A changes hands (secondary market)
#   8. loan A's contract exported and verified offline; a tampered copy fails
#   9. the regulator's observer node: supervision summary and alerts
#
# It starts the devnet if needed (scripts/devnet.sh up, which builds the binaries when missing;
# DEVNET_REBUILD=0 skips the cargo build when they exist), uses fresh keys and loan ids per run
# (DEMO-<unix time>-A/B/C), so it can run again and again on the same devnet, and checks the state
# after every step (exit 1 naming the step if it is not what the story says).
#
# Environment: DEVNET_DIR (default ./devnet), CARGO_TARGET_DIR, DEVNET_REBUILD.
# Needs bash, coreutils, grep, sed: no python, jq or curl.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
TARGET=${CARGO_TARGET_DIR:-target}
case "$TARGET" in /*) ;; *) TARGET=$ROOT/$TARGET ;; esac
BIN=$TARGET/release
DEVNET_DIR=${DEVNET_DIR:-$ROOT/devnet}
START=$SECONDS

STEP="setup"
W=""
cleanup() { [ -n "$W" ] && rm -rf "$W"; return 0; }
trap cleanup EXIT
fail() {
  echo >&2
  echo "DEMO FAILED at step $STEP: $*" >&2
  exit 1
}
trap 'fail "unexpected error (exit $?) in: $BASH_COMMAND"' ERR

# ---- output -------------------------------------------------------------------------------------

step() { # step N TITLE TEXT...: a numbered heading and what happens and why
  STEP="$1 ($2)"
  echo
  echo "=== Step $1. $2"
  shift 2
  [ $# -gt 0 ] && say "$*"
  return 0
}
say() { printf '%s\n' "$*" | fold -s -w 100 | sed -e 's/^/    /' -e 's/ *$//'; }
note() { printf '  ✓ %s\n' "$*"; }

pretty() { # a command line as the reader would type it: loanctl, $W for the temp dir, short ids
  local a out=""
  [ "$1" = lc ] && { out="loanctl"; shift; }
  for a in "$@"; do
    case $a in *[[:space:]]*|*'#'*) a="'$a'" ;; esac
    out="$out $a"
  done
  printf '%s\n' "${out# }" | sed -e "s#$BIN/##g" -e "s#$W#\$W#g" -e "s#$DEVNET_DIR#devnet#g" \
    -e "s#--node $NODE ##" \
    -e 's/\([0-9a-f]\{8\}\)[0-9a-f]\{56\}/\1…/g'
}

OUT=""
run() { # run CMD...: print the command, run it, print its output indented; fail the step on error
  local rc=0
  echo "  \$ $(pretty "$@")"
  OUT=$("$@" 2>&1) || rc=$?
  [ -n "$OUT" ] && printf '%s\n' "$OUT" | sed -e 's/^/      /' -e 's/ *$//'
  [ $rc = 0 ] || fail "\`$(pretty "$@")\` exited $rc"
}
run_expect() { # run_expect RC CMD...: like run, but the command must exit RC
  local want=$1 rc=0
  shift
  echo "  \$ $(pretty "$@")"
  OUT=$("$@" 2>&1) || rc=$?
  [ -n "$OUT" ] && printf '%s\n' "$OUT" | sed -e 's/^/      /' -e 's/ *$//'
  echo "      (exit $rc)"
  [ $rc = "$want" ] || fail "\`$(pretty "$@")\` exited $rc, expected $want"
}

# ---- JSON without jq: loanctl --json pretty-prints one key per line ------------------------------

jvals() { # every value of "KEY" (string, number, null) on stdin, one per line
  sed -n -e 's/^[[:space:]]*"'"$1"'": "\(.*\)",\{0,1\}[[:space:]]*$/\1/p' \
    -e 's/^[[:space:]]*"'"$1"'": \([^"[{][^,]*\),\{0,1\}[[:space:]]*$/\1/p'
}
jval() { local v; v=$(jvals "$1"); printf '%s\n' "${v%%$'\n'*}"; } # the first (reads all its input: no SIGPIPE upstream)

fen() { # "330.03" -> 33003
  local v=$1 i f=00
  i=${v%%.*}
  if [[ $v == *.* ]]; then f=${v#*.}00; f=${f:0:2}; fi
  echo $((10#$i * 100 + 10#$f))
}
yuan() { printf '%d.%02d' $(($1 / 100)) $(($1 % 100)); }
sum_fen() { local s=0 v; while read -r v; do [ -n "$v" ] && s=$((s + $(fen "$v"))); done; echo $s; }

# ---- chain helpers ------------------------------------------------------------------------------

lc() { "$BIN/loanctl" --node "$NODE" "$@"; }
q() { "$BIN/loanctl" --node "$NODE" --json "$@"; }
account_of() { "$BIN/loanctl" --json keys show "$1" | sed -n 's/.*"account": *"\([0-9a-f]\{64\}\)".*/\1/p'; }
loan_json() { q loan show "$1" || fail "cannot read loan $1"; }
loan_status() { loan_json "$1" | jval status; }
holders() { loan_json "$1" | jvals holder; }
tx_of() { local v; v=$(sed -n 's/^tx \([0-9a-f]\{64\}\) .*/\1/p' <<<"$OUT"); printf '%s\n' "${v%%$'\n'*}"; }
now_ms() { date +%s%3N; }
hms() { date -u -d "@$(($1 / 1000))" +%H:%M:%S; }

wait_status() { # wait_status LOAN WANT MAX_SECONDS [BAD...]: poll until WANT; fail on a BAD status
  local loan=$1 want=$2 max=$3 deadline st bad
  shift 3
  deadline=$((SECONDS + max))
  while :; do
    st=$(loan_status "$loan")
    [ "$st" = "$want" ] && return 0
    for bad in "$@"; do
      [ "$st" = "$bad" ] && fail "loan $loan is $st while waiting for $want"
    done
    [ $SECONDS -ge $deadline ] && fail "loan $loan is still $st after ${max} s (expected $want)"
    sleep 0.5
  done
}

# ---- 0. the devnet ------------------------------------------------------------------------------

echo "=== loanchain demo: micro-credit loans on a permissioned chain"
echo "  \$ scripts/devnet.sh up"
scripts/devnet.sh up 2>&1 | sed 's/^/      /' || fail "scripts/devnet.sh up failed"
for b in loanctl loanchain-genesis; do [ -x "$BIN/$b" ] || fail "$BIN/$b is missing"; done
api_of() { sed -n 's/.*"api_listen": *"\([0-9.]*:[0-9]*\)".*/http:\/\/\1/p' "$1/config.json"; }
NODE=$(api_of "$DEVNET_DIR/validator-0")
OBSERVER=$(api_of "$DEVNET_DIR/observer-0")
[ -n "$NODE" ] && [ -n "$OBSERVER" ] || fail "no validator-0 / observer-0 in $DEVNET_DIR"
GENESIS=$DEVNET_DIR/genesis.json
ACC=$DEVNET_DIR/accounts
INST_KEY=$ACC/institution-0.json
CUST_KEY=$ACC/custodian.json
INST=$(account_of "$INST_KEY")
POOL=$(printf 'loanchain/risk-pool' | sha256sum | cut -c1-64) # AccountId::risk_pool()
G=$(cat "$GENESIS")
PERIOD_S=$(sed -n '/"fixed_seconds"/,/}/p' <<<"$G" | jval seconds)
DAY_S=$(jval day_seconds <<<"$G")
GRACE=$(jval grace_days <<<"$G")
WINDOW=$(jval buyback_window_days <<<"$G")
[ -n "$PERIOD_S" ] && [ -n "$DAY_S" ] || fail "the demo needs a devnet with a period of fixed seconds (scripts/devnet.sh)"
[ "$(jval risk_pool_enabled <<<"$G")" = true ] || fail "the demo needs the risk pool on (it is in scripts/devnet.sh's devnet)"

W=$(mktemp -d "${TMPDIR:-/tmp}/loanchain-demo.XXXXXX")
TAG=$(date +%s)
A=DEMO-$TAG-A
B=DEMO-$TAG-B
C=DEMO-$TAG-C
echo "  validator API $NODE, regulator's observer $OBSERVER, work files in \$W=$W"
echo "  run tag $TAG: loans $A, $B, $C"

# ---- 1. people and loans ------------------------------------------------------------------------

step 1 "An institution registers its customers and lists three loans" \
  "Institution-0, a licensed micro-credit company, has identified three investors and three borrowers" \
  "(实名认证: only a salted hash of each ID number goes on chain). Each person gets an account key," \
  "a seal key, and a personal e-seal certificate from the seal authority, which they will use to seal" \
  "loan contracts."

printf '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><circle cx="32" cy="32" r="28" fill="none" stroke="red" stroke-width="4"/><text x="32" y="38" font-size="14" text-anchor="middle" fill="red">%s</text></svg>\n' "$TAG" > "$W/seal.svg"

declare -A NAME ROLE ID
NAME=([inv1]="Li Lei" [inv2]="Han Meimei" [inv3]="Zhang Wei" [borA]="Wang Fang" [borB]="Liu Yang" [borC]="Chen Jing")
ROLE=([inv1]=investor [inv2]=investor [inv3]=investor [borA]=borrower [borB]=borrower [borC]=borrower)
PEOPLE="inv1 inv2 inv3 borA borB borC"
n=0
for p in $PEOPLE; do
  n=$((n + 1))
  "$BIN/loanctl" keys generate --out "$W/$p.json" >/dev/null
  "$BIN/loanchain-genesis" keys generate --kind seal --out "$W/$p.seal.json" >/dev/null
  ID[$p]=$(account_of "$W/$p.json")
  if [ $n = 1 ]; then
    run "$BIN/loanchain-genesis" seal issue --authority-key "$ACC/seal-authority.json" --holder "${ID[$p]}" \
      --signer-key "$W/$p.seal.json" --seal-id "demo-$TAG-$p" --name "${NAME[$p]}" --organisation "${NAME[$p]}" \
      --kind personal --valid-from-ms $(( ($(date +%s) - 60) * 1000 )) --valid-days 365 --image "$W/seal.svg" \
      --out "$W/$p.cert.json"
  else
    "$BIN/loanchain-genesis" seal issue --authority-key "$ACC/seal-authority.json" --holder "${ID[$p]}" \
      --signer-key "$W/$p.seal.json" --seal-id "demo-$TAG-$p" --name "${NAME[$p]}" --organisation "${NAME[$p]}" \
      --kind personal --valid-from-ms $(( ($(date +%s) - 60) * 1000 )) --valid-days 365 --image "$W/seal.svg" \
      --out "$W/$p.cert.json" >/dev/null 2>&1 || fail "seal issue for $p failed"
    echo "  (seal demo-$TAG-$p issued the same way for ${NAME[$p]})"
  fi
  run lc register --key "$INST_KEY" --role "${ROLE[$p]}" --name "${NAME[$p]}" \
    --id-number "$(printf '1101011990%04d%04d' "$n" $((TAG % 10000)))" --account-key "$W/$p.json"
done
for p in $PEOPLE; do
  got=$(q account "${ID[$p]}" | jval role)
  [ "$got" = "${ROLE[$p]}" ] || fail "${NAME[$p]} is registered as '$got', expected ${ROLE[$p]}"
done
note "six accounts registered by institution-0 with their roles"

say "The custodian bank (资金存管) credits the money the investors wired in: 8000.00 each; borrower A" \
  "also has 1000.00 of her own for the interest."
for p in inv1 inv2 inv3; do
  run lc deposit --key "$CUST_KEY" --account "${ID[$p]}" --amount 8000 --reference "DEMO-$TAG-$p"
done
run lc deposit --key "$CUST_KEY" --account "${ID[borA]}" --amount 1000 --reference "DEMO-$TAG-borA"
for p in inv1 inv2 inv3; do
  [ "$(q account "${ID[$p]}" | jval balance)" = "8000.00" ] || fail "${NAME[$p]}'s balance is not 8000.00"
done
note "each investor has 8000.00"

say "Institution-0 lists three loans. Each contract document is sealed by the borrower and by the" \
  "institution's contract seal; the institution is the guarantor and posts a risk margin (2-10 % by grade)."
create() { # create ID BORROWER PRINCIPAL RATE PERIODS METHOD GRADE PURPOSE
  run lc loan create --key "$INST_KEY" --id "$1" --borrower "${ID[$2]}" --principal "$3" --rate "$4" \
    --periods "$5" --method "$6" --grade "$7" --min-investment 100 --funding-minutes 30 --purpose "$8" \
    --seal-cert "$DEVNET_DIR/seals/institution-0.json" --seal-key "$DEVNET_DIR/seals/institution-0.key.json" \
    --borrower-seal-cert "$W/$2.cert.json" --borrower-seal-key "$W/$2.seal.json"
}
create "$A" borA 9000 0.12 12 equal_installment C "tea shop renovation"
create "$B" borB 2000 0.15 6 equal_principal B "delivery scooter"
create "$C" borC 600 0.18 3 interest_first D "market stall stock"
for l in "$A" "$B" "$C"; do
  [ "$(loan_status "$l")" = funding ] || fail "loan $l is not funding"
done
note "loans A, B and C are listed and funding"

say "Loans B and C are funded right away, so that their first installments (one period = $PERIOD_S s on the" \
  "devnet) fall due while we follow loan A. When a loan is fully funded the escrow is paid out to the borrower."
fund() { run lc loan fund "$1" --amount "$2" --key "$W/$3.json" --seal-cert "$W/$3.cert.json" --seal-key "$W/$3.seal.json"; }
fund "$C" 300 inv1
fund "$C" 300 inv3
fund "$B" 1000 inv2
fund "$B" 1000 inv3
for l in "$B" "$C"; do
  [ "$(loan_status "$l")" = active ] || fail "loan $l is not active after full funding"
done
note "loans B and C are active: $(hms "$(loan_json "$B" | jval due_at)") UTC is B's first due date, $(hms "$(loan_json "$C" | jval due_at)") UTC C's"
say "Borrowers B and C spend their loans: the custodian pays the whole balance out to their bank" \
  "accounts, so nothing is left on chain for the automatic deduction on the due date."
for p in borB borC; do
  bal=$(q account "${ID[$p]}" | jval balance)
  run lc withdraw --key "$CUST_KEY" --account "${ID[$p]}" --amount "$bal" --reference "DEMO-$TAG-$p-out"
  [ "$(q account "${ID[$p]}" | jval balance)" = "0.00" ] || fail "${NAME[$p]}'s balance is not 0.00"
done
note "borrowers B and C have 0.00 left"

# ---- 2. funding A -------------------------------------------------------------------------------

step 2 "Three investors fund loan A" \
  "Each investor takes a 3000.00 share of the 9000.00 loan and seals the contract with a personal seal." \
  "Each funding is a claim (债权) on the borrower; the third one fills the loan, which activates it."
fund "$A" 3000 inv1
fund "$A" 3000 inv2
fund "$A" 3000 inv3
[ "$(loan_status "$A")" = active ] || fail "loan $A is '$(loan_status "$A")', expected active"
mapfile -t H < <(holders "$A")
[ "${#H[@]}" = 3 ] || fail "loan $A has ${#H[@]} claims, expected 3"
[ "${H[0]} ${H[1]} ${H[2]}" = "${ID[inv1]} ${ID[inv2]} ${ID[inv3]}" ] || fail "loan $A's claims are not held by the three investors"
note "loan A is active with 3 claims: $A#0 Li Lei, #1 Han Meimei, #2 Zhang Wei"

# ---- 3. schedule --------------------------------------------------------------------------------

step 3 "Activation: the repayment schedule" \
  "On full funding the 9000.00 went to borrower A, institution-0's risk margin (grade C: 6 %) went to" \
  "the risk pool, and the schedule was fixed: 12 equal installments (等额本息) at 12 % a year, one" \
  "period every $PERIOD_S s on the devnet."
run lc loan show "$A"
AJ=$(loan_json "$A")
periods=$(printf '%s\n' "$AJ" | jvals period | wc -l)
[ "$periods" = 12 ] || fail "the schedule has $periods periods, expected 12"
sp=$(printf '%s\n' "$AJ" | sed -n '/"schedule"/,/\]/p' | jvals principal | sum_fen)
[ "$sp" = 900000 ] || fail "the schedule's principal adds up to $(yuan "$sp"), expected 9000.00"
[ "$(printf '%s\n' "$AJ" | jval activated_at)" != null ] || fail "loan A has no activation time"
note "12 periods whose principal adds up to 9000.00"

# ---- 4. repayment -------------------------------------------------------------------------------

step 4 "Borrower A repays; the payment is split among the claim holders" \
  "The payment is split in proportion to each holder's outstanding principal (floor to the fen, the" \
  "remaining fen by largest remainder), so the parts always add up to the payment exactly."
before=()
for i in 0 1 2; do
  before[$i]=$(( $(printf '%s\n' "$AJ" | jvals principal_received | sed -n "$((i + 1))p" | sum_fen) + $(printf '%s\n' "$AJ" | jvals interest_received | sed -n "$((i + 1))p" | sum_fen) ))
done
run lc loan repay "$A" --key "$W/borA.json"
RTX=$(tx_of)
[ -n "$RTX" ] || fail "no transaction hash in the repay output"
EV=$(q loan history "$A" | sed -n "/\"tx_hash\": \"$RTX\"/,/^  }/p")
grep -q '"repaid": {' <<<"$EV" || fail "no repaid event for transaction $RTX"
head_part=$(sed -n '1,/"payouts"/p' <<<"$EV")
pay_part=$(printf '%s\n' "$EV" | sed -n '/"payouts"/,$p')
paid=$(( $(printf '%s\n' "$head_part" | jval principal | sum_fen) + $(printf '%s\n' "$head_part" | jval interest | sum_fen) ))
parts=()
while read -r pr && read -r it; do parts+=($(( $(fen "$pr") + $(fen "$it") ))); done < <(printf '%s\n' "$pay_part" | sed -n 's/^[[:space:]]*"\(principal\|interest\)": *"\([0-9.]*\)".*/\2/p')
[ "${#parts[@]}" = 3 ] || fail "the repayment went to ${#parts[@]} holders, expected 3"
total=$((parts[0] + parts[1] + parts[2]))
[ "$total" = "$paid" ] || fail "the parts add up to $(yuan $total), but the installment was $(yuan $paid)"
note "installment $(yuan $paid) (principal + interest) = $(yuan "${parts[0]}") + $(yuan "${parts[1]}") + $(yuan "${parts[2]}") to the three holders"
say "Each investor's claims, with the principal and interest received so far:"
for p in inv1 inv2 inv3; do
  echo "  # ${NAME[$p]}"
  run lc claims list --holder "${ID[$p]}"
done
say "And Li Lei's portfolio: what came in, and the payments still to come (her share of each installment):"
run lc portfolio --account "${ID[inv1]}"
AJ=$(loan_json "$A")
for i in 0 1 2; do
  after=$(( $(printf '%s\n' "$AJ" | jvals principal_received | sed -n "$((i + 1))p" | sum_fen) + $(printf '%s\n' "$AJ" | jvals interest_received | sed -n "$((i + 1))p" | sum_fen) ))
  [ "$after" -gt "${before[$i]}" ] || fail "claim $A#$i received nothing ($(yuan "${before[$i]}") before, $(yuan "$after") after)"
done
note "every holder's received principal + interest went up"

# ---- 5. buyback ---------------------------------------------------------------------------------

step 5 "Loan B goes overdue and the guarantor buys it back" \
  "Borrower B has no money left, so nothing can be deducted when the first installment falls due;" \
  "after the grace period ($GRACE \"day\" = $((GRACE * DAY_S)) s on the devnet) the loan is overdue and penalty" \
  "interest accrues. Within the buyback window ($WINDOW days) institution-0, the guarantor, pays the investors their" \
  "outstanding principal plus the interest due, and takes over the claims (担保代偿)."
due=$(loan_json "$B" | jval due_at)
echo "  waiting for loan B: due at $(hms "$due") UTC, overdue after the grace period ($(( (due - $(now_ms)) / 1000 + GRACE * DAY_S )) s from now)"
wait_status "$B" overdue $((PERIOD_S + GRACE * DAY_S + 60)) bought_back pool_compensated repaid
run lc loan show "$B"
run lc loan buyback "$B" --key "$INST_KEY"
[ "$(loan_status "$B")" = bought_back ] || fail "loan $B is '$(loan_status "$B")', expected bought_back"
mapfile -t H < <(holders "$B")
for h in "${H[@]}"; do [ "$h" = "$INST" ] || fail "a claim of loan $B is held by $h, not by the guarantor"; done
run lc loan history "$B"
bpaid=$(q loan history "$B" | sed -n '/"bought_back": {/,$p' | jval paid)
[ -n "$bpaid" ] && [ "$(fen "$bpaid")" -ge 200000 ] || fail "the guarantor paid '${bpaid}', less than the 2000.00 principal"
note "loan B is bought_back: the guarantor paid $bpaid and holds both claims"

# ---- 6. risk pool -------------------------------------------------------------------------------

step 6 "Loan C: nobody buys back, the risk pool compensates" \
  "Loan C went overdue the same way, but its guarantor does nothing. When the buyback window ($WINDOW days =" \
  "$((WINDOW * DAY_S)) s) closes, the risk pool (风险池, on in the devnet) pays the investors their outstanding principal" \
  "(pro rata if the pool is short) and takes the claims; it keeps collecting from the borrower."
echo "  waiting for the buyback window of loan C to close"
wait_status "$C" pool_compensated $((PERIOD_S + (GRACE + WINDOW) * DAY_S + 60)) bought_back repaid
run lc loan history "$C"
mapfile -t H < <(holders "$C")
for h in "${H[@]}"; do [ "$h" = "$POOL" ] || fail "a claim of loan $C is held by $h, not by the risk pool"; done
CH=$(q loan history "$C" | sed -n '/"pool_compensated": {/,$p')
ppaid=$(printf '%s\n' "$CH" | jval paid)
pshort=$(printf '%s\n' "$CH" | jval shortfall)
[ -n "$ppaid" ] && [ "$(fen "$ppaid")" -gt 0 ] || fail "the risk pool paid '${ppaid}'"
note "loan C is pool_compensated: the pool paid $ppaid (shortfall $pshort) and holds the claims (${POOL:0:8}…)"

# ---- 7. claim transfer --------------------------------------------------------------------------

step 7 "A claim changes hands (债权转让)" \
  "Li Lei sells her claim on loan A to Han Meimei at its outstanding principal. She signs the transfer;" \
  "the buyer consents with her own key, and pays the price from her balance."
price=$(loan_json "$A" | jval outstanding)
run lc claims transfer "$A#0" --to "${ID[inv2]}" --price "$price" --key "$W/inv1.json" --buyer-key "$W/inv2.json"
mapfile -t H < <(holders "$A")
[ "${H[0]}" = "${ID[inv2]}" ] || fail "claim $A#0 is held by ${H[0]}, expected Han Meimei (${ID[inv2]})"
run lc claims list --holder "${ID[inv2]}"
note "claim $A#0 is now held by Han Meimei (original investor: Li Lei)"

# ---- 8. contract --------------------------------------------------------------------------------

step 8 "The contract of loan A, verified offline" \
  "The exported contract carries the document, every seal (borrower, institution, three investors) and" \
  "each seal's chain timestamp (block and commit certificate). Anyone holding only the genesis file can check it."
run lc contract export "$A" --out "$W/$A.json"
run lc contract verify "$W/$A.json" --genesis "$GENESIS"
VJ=$("$BIN/loanctl" --json contract verify "$W/$A.json" --genesis "$GENESIS") || fail "the exported contract does not verify"
grep -q '"ok": true' <<<"$VJ" || fail "the exported contract does not verify"
note "all seals verify (exit 0)"
say "Now one character of Han Meimei's seal signature is changed in a copy:"
line=$(grep -n -m 1 "\"seal_id\": \"demo-$TAG-inv2\"" "$W/$A.json" | cut -d: -f1)
[ -n "$line" ] || fail "no seal of Han Meimei in the exported contract"
sig=""
for n in $(grep -n '^[[:space:]]*"signature": "' "$W/$A.json" | cut -d: -f1); do
  [ "$n" -gt "$line" ] && { sig=$n; break; }
done
[ -n "$sig" ] || fail "no signature after Han Meimei's seal certificate"
c=$(sed -n "${sig}p" "$W/$A.json" | sed 's/.*"signature": "\(.\).*/\1/')
r=0; [ "$c" = 0 ] && r=1
sed "${sig}s/\"signature\": \"./\"signature\": \"$r/" "$W/$A.json" > "$W/$A.tampered.json"
diff "$W/$A.json" "$W/$A.tampered.json" | sed -e 's/^/      /' -e 's/\([0-9a-f]\{24\}\)[0-9a-f]\{80,\}/\1…/' || true
run_expect 3 lc contract verify "$W/$A.tampered.json" --genesis "$GENESIS"
grep -q "FAIL" <<<"$OUT" || fail "the tampered copy's report has no failing seal"
grep -q "seal demo-$TAG-inv2 fails" <<<"$OUT" || fail "the report does not name the bad seal demo-$TAG-inv2"
note "the tampered copy fails (exit 3) and the report names the bad seal demo-$TAG-inv2"

# ---- 9. regulator -------------------------------------------------------------------------------

step 9 "The regulator's view" \
  "The regulator runs an observer node: it follows the chain without voting. Its API gives the" \
  "supervision summary (loans by status, overdue rate, risk-pool coverage) and the alerts."
h=$(q status | jval height)
deadline=$((SECONDS + 30))
until [ "$("$BIN/loanctl" --node "$OBSERVER" --json status | jval height)" -ge "$h" ]; do
  [ $SECONDS -ge $deadline ] && fail "the observer did not reach height $h within 30 s"
  sleep 0.5
done
run "$BIN/loanctl" --node "$OBSERVER" supervision summary
SJ=$("$BIN/loanctl" --node "$OBSERVER" --json supervision summary)
for s in active bought_back pool_compensated; do
  grep -q "\"$s\": [1-9]" <<<"$SJ" || fail "the summary counts no $s loan"
done
echo "  \$ $(pretty "$BIN/loanctl" --node "$OBSERVER" supervision alerts) | grep -e '^loan ' -e $TAG"
ALERTS=$("$BIN/loanctl" --node "$OBSERVER" supervision alerts) || fail "supervision alerts failed"
printf '%s\n' "$ALERTS" | grep -e '^loan ' -e "$TAG" | sed 's/^/      /' || true
others=$(printf '%s\n' "$ALERTS" | grep -v -e '^loan ' -e "$TAG" | grep -c . || true)
[ "$others" -gt 0 ] && echo "      (and $others alerts on loans of earlier runs)"
for l in "$B" "$C"; do
  grep -q "^$l  *overdue" <<<"$ALERTS" || fail "no overdue alert for loan $l"
done
note "the observer counts active, bought-back and pool-compensated loans, and alerts on B and C"

trap - ERR
echo
echo "demo finished in $((SECONDS - START)) s: loan A funded by 3 investors and repaid $(yuan "$paid") split $(yuan "${parts[0]}")+$(yuan "${parts[1]}")+$(yuan "${parts[2]}"), B bought back by the guarantor ($bpaid), C compensated by the risk pool ($ppaid), claim $A#0 transferred, contract verified and a tampered copy rejected, regulator's view checked"
