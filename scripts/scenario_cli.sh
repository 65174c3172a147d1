#!/usr/bin/env bash
# The AWS CLI (v1 or v2) runs a whole Personalize scenario against a running emulator:
#   scripts/scenario_cli.sh --endpoint-url http://127.0.0.1:8080 [--aws /path/to/aws]
# The first call passes --endpoint-url; every later one finds the emulator through AWS_ENDPOINT_URL alone.
# Exits non-zero at the first step that does not behave as Amazon Personalize does.
set -euo pipefail

ENDPOINT="" AWS="${AWS:-aws}"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --endpoint-url) ENDPOINT="$2"; shift 2 ;;
    --aws) AWS="$2"; shift 2 ;;
    *) echo "usage: $0 --endpoint-url URL [--aws AWS_CLI]" >&2; exit 2 ;;
  esac
done
[[ -n "$ENDPOINT" ]] || { echo "usage: $0 --endpoint-url URL [--aws AWS_CLI]" >&2; exit 2; }

export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=us-east-1 AWS_PAGER=""
unset AWS_PROFILE AWS_ENDPOINT_URL
RUN="cli-$(date +%s)-$$"   # unique names: the scenario runs again on the same server
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
START=$SECONDS

step() { printf '[%3ds] %s\n' $((SECONDS - START)) "$*"; }
fail() { echo "FAILED: $*" >&2; exit 1; }
cli() { "$AWS" --output text "$@"; }
json() { "$AWS" --output json "$@"; }   # text output applies --query to each page; json to the whole listing

# wait_status WANT describe-command...: poll `*.status` until WANT; print failureReason and stop on a FAILED.
wait_status() {
  local want="$1" status; shift
  for _ in $(seq 600); do
    status="$(cli "$@" --query '*.status | [0]')"
    [[ "$status" == "$want" ]] && return 0
    [[ "$status" == *FAILED* ]] && fail "$* is $status: $(cli "$@" --query '*.failureReason | [0]')"
    sleep 0.2
  done
  fail "$* is still $status"
}

# wait_gone describe-command...: poll until the resource is deleted (ResourceNotFoundException).
wait_gone() {
  for _ in $(seq 600); do
    cli "$@" >/dev/null 2>"$WORK/err" || { grep -q ResourceNotFoundException "$WORK/err" && return 0; cat "$WORK/err" >&2; fail "$*"; }
    sleep 0.2
  done
  fail "$* was not deleted"
}

step "reach the emulator with --endpoint-url, then with AWS_ENDPOINT_URL alone ($("$AWS" --version 2>&1))"
[[ "$(cli --endpoint-url "$ENDPOINT" personalize list-recipes --query 'length(recipes)')" -gt 0 ]] || fail "no recipes"
export AWS_ENDPOINT_URL="$ENDPOINT"

step "write and upload interactions.csv (1,200 interactions, 30 users, 50 items)"
awk 'BEGIN { print "USER_ID,ITEM_ID,TIMESTAMP"
             for (u = 0; u < 30; u++) for (s = 0; s < 40; s++)
               printf "user%d,item%d,%d\n", u, (u * 7 + s * s) % 50, 1700000000 + u * 1000 + s }' > "$WORK/interactions.csv"
cli s3 mb "s3://$RUN" >/dev/null
cli s3 cp "$WORK/interactions.csv" "s3://$RUN/interactions.csv" >/dev/null
cli s3api put-bucket-policy --bucket "$RUN" --policy "{\"Version\": \"2012-10-17\", \"Statement\": [{
  \"Effect\": \"Allow\", \"Principal\": {\"Service\": \"personalize.amazonaws.com\"},
  \"Action\": [\"s3:GetObject\", \"s3:ListBucket\"], \"Resource\": [\"arn:aws:s3:::$RUN\", \"arn:aws:s3:::$RUN/*\"]}]}"
ROLE="$(cli iam create-role --role-name "$RUN" --query Role.Arn --assume-role-policy-document \
  '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "personalize.amazonaws.com"}, "Action": "sts:AssumeRole"}]}')"

step "schema, dataset group, dataset"
SCHEMA="$(cli personalize create-schema --name "$RUN" --query schemaArn --schema \
  '{"type": "record", "name": "Interactions", "namespace": "com.amazonaws.personalize.schema", "version": "1.0", "fields": [
    {"name": "USER_ID", "type": "string"}, {"name": "ITEM_ID", "type": "string"}, {"name": "TIMESTAMP", "type": "long"}]}')"
GROUP="$(cli personalize create-dataset-group --name "$RUN" --query datasetGroupArn)"
wait_status ACTIVE personalize describe-dataset-group --dataset-group-arn "$GROUP"
DATASET="$(cli personalize create-dataset --name "$RUN" --schema-arn "$SCHEMA" --dataset-group-arn "$GROUP" \
  --dataset-type Interactions --query datasetArn)"
wait_status ACTIVE personalize describe-dataset --dataset-arn "$DATASET"

step "import the CSV"
IMPORT="$(cli personalize create-dataset-import-job --job-name "$RUN" --dataset-arn "$DATASET" --role-arn "$ROLE" \
  --data-source "dataLocation=s3://$RUN/interactions.csv" --query datasetImportJobArn)"
wait_status ACTIVE personalize describe-dataset-import-job --dataset-import-job-arn "$IMPORT"

step "train aws-popularity-count and deploy a campaign"
SOLUTION="$(cli personalize create-solution --name "$RUN" --dataset-group-arn "$GROUP" \
  --recipe-arn arn:aws:personalize:::recipe/aws-popularity-count --query solutionArn)"
wait_status ACTIVE personalize describe-solution --solution-arn "$SOLUTION"
VERSION="$(cli personalize create-solution-version --solution-arn "$SOLUTION" --query solutionVersionArn)"
wait_status ACTIVE personalize describe-solution-version --solution-version-arn "$VERSION"
CAMPAIGN="$(cli personalize create-campaign --name "$RUN" --solution-version-arn "$VERSION" \
  --min-provisioned-tps 1 --query campaignArn)"
wait_status ACTIVE personalize describe-campaign --campaign-arn "$CAMPAIGN"

step "get-recommendations"
ITEMS="$(cli personalize-runtime get-recommendations --campaign-arn "$CAMPAIGN" --user-id user1 --num-results 10 \
  --query 'itemList[].itemId')"
[[ "$(wc -w <<<"$ITEMS")" -eq 10 ]] || fail "expected 10 items, got: $ITEMS"
echo "        user1: $ITEMS"

step "put-events through an event tracker"
TRACKER="$(cli personalize create-event-tracker --name "$RUN" --dataset-group-arn "$GROUP" --query eventTrackerArn)"
wait_status ACTIVE personalize describe-event-tracker --event-tracker-arn "$TRACKER"
TRACKING_ID="$(cli personalize describe-event-tracker --event-tracker-arn "$TRACKER" --query eventTracker.trackingId)"
cli personalize-events put-events --tracking-id "$TRACKING_ID" --user-id user1 --session-id "$RUN" \
  --event-list "[{\"eventType\": \"click\", \"itemId\": \"item3\", \"sentAt\": $(date +%s)},
                 {\"eventType\": \"click\", \"itemId\": \"item4\", \"sentAt\": $(date +%s)}]"

step "list with pagination: --page-size (many requests, one listing) and --max-items/--starting-token"
ALL="$(json personalize list-recipes --query 'length(recipes)')"
[[ "$(json personalize list-recipes --page-size 4 --query 'length(recipes)')" -eq "$ALL" ]] || fail "--page-size 4 lost recipes"
TOKEN="$(json personalize list-recipes --max-items 5 --query NextToken | tr -d '"')"
REST="$(json personalize list-recipes --starting-token "$TOKEN" --query 'length(recipes)')"
[[ $((5 + REST)) -eq "$ALL" ]] || fail "5 + $REST recipes in two pages, $ALL in one"
[[ "$(json personalize list-dataset-groups --page-size 1 --query "length(datasetGroups[?name=='$RUN'])")" -eq 1 ]] \
  || fail "list-dataset-groups --page-size 1 did not reach $RUN"

step "a typed error: describe-campaign of a missing ARN"
MISSING="${CAMPAIGN%/*}/no-such-campaign-$RUN"
if cli personalize describe-campaign --campaign-arn "$MISSING" 2>"$WORK/err"; then fail "a missing campaign was found"; fi
grep -q "(ResourceNotFoundException) when calling the DescribeCampaign operation" "$WORK/err" || fail "$(cat "$WORK/err")"
echo "        $(grep -o 'An error occurred.*' "$WORK/err")"

step "clean up"
cli personalize delete-campaign --campaign-arn "$CAMPAIGN"
cli personalize delete-event-tracker --event-tracker-arn "$TRACKER"
wait_gone personalize describe-campaign --campaign-arn "$CAMPAIGN"
wait_gone personalize describe-event-tracker --event-tracker-arn "$TRACKER"
cli personalize delete-solution --solution-arn "$SOLUTION"
cli personalize delete-dataset --dataset-arn "$DATASET"
wait_gone personalize describe-solution --solution-arn "$SOLUTION"
wait_gone personalize describe-dataset --dataset-arn "$DATASET"
cli personalize delete-dataset-group --dataset-group-arn "$GROUP"
wait_gone personalize describe-dataset-group --dataset-group-arn "$GROUP"
cli personalize delete-schema --schema-arn "$SCHEMA"
cli s3 rb "s3://$RUN" --force >/dev/null
cli iam delete-role --role-name "$RUN"
step "scenario passed"
