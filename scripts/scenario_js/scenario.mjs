// The JavaScript SDK v3 runs a whole Personalize scenario against a running emulator:
//   npm ci && node scenario.mjs --endpoint-url http://127.0.0.1:8080
// Without --endpoint-url the clients are given no endpoint and find the emulator through AWS_ENDPOINT_URL alone.
// Exits non-zero at the first step that does not behave as Amazon Personalize does.
import assert from "node:assert/strict";
import { IAMClient, CreateRoleCommand, DeleteRoleCommand } from "@aws-sdk/client-iam";
import {
  PersonalizeClient, ResourceNotFoundException, paginateListRecipes, paginateListDatasetGroups,
  CreateSchemaCommand, CreateDatasetGroupCommand, CreateDatasetCommand, CreateDatasetImportJobCommand,
  CreateSolutionCommand, CreateSolutionVersionCommand, CreateCampaignCommand, CreateEventTrackerCommand,
  DescribeDatasetGroupCommand, DescribeDatasetCommand, DescribeDatasetImportJobCommand, DescribeSolutionCommand,
  DescribeSolutionVersionCommand, DescribeCampaignCommand, DescribeEventTrackerCommand, ListRecipesCommand,
  DeleteCampaignCommand, DeleteEventTrackerCommand, DeleteSolutionCommand, DeleteDatasetCommand,
  DeleteDatasetGroupCommand, DeleteSchemaCommand,
} from "@aws-sdk/client-personalize";
import { PersonalizeRuntimeClient, GetRecommendationsCommand } from "@aws-sdk/client-personalize-runtime";
import { PersonalizeEventsClient, PutEventsCommand } from "@aws-sdk/client-personalize-events";
import {
  S3Client, CreateBucketCommand, PutBucketPolicyCommand, PutObjectCommand, DeleteObjectCommand, DeleteBucketCommand,
} from "@aws-sdk/client-s3";

const flag = process.argv.indexOf("--endpoint-url");
if (flag < 0 && !process.env.AWS_ENDPOINT_URL) {
  console.error("usage: node scenario.mjs --endpoint-url URL   (or AWS_ENDPOINT_URL=URL node scenario.mjs)");
  process.exit(2);
}
const config = {
  ...(flag > 0 && { endpoint: process.argv[flag + 1] }),
  region: "us-east-1", maxAttempts: 1,   // a local server does not throttle: show a failure at once
  credentials: { accessKeyId: "test", secretAccessKey: "test" },
};
const personalize = new PersonalizeClient(config);
const runtime = new PersonalizeRuntimeClient(config);
const events = new PersonalizeEventsClient(config);
const s3 = new S3Client({ ...config, forcePathStyle: true });   // bucket in the path, not in a host name
const iam = new IAMClient(config);

const run = `js-${Date.now()}-${process.pid}`;   // unique names: the scenario runs again on the same server
const started = Date.now();
const step = (text) => console.log(`[${String(Math.round((Date.now() - started) / 1000)).padStart(3)}s] ${text}`);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Poll a Describe until its resource's status is `want`; fail with the failureReason if it fails instead.
async function waitStatus(command, want = "ACTIVE") {
  for (let i = 0; i < 600; i++) {
    const record = Object.values(await personalize.send(command)).find((value) => value?.status);
    if (record.status === want) return record;
    if (record.status.includes("FAILED")) throw new Error(`${record.status}: ${record.failureReason}`);
    await sleep(200);
  }
  throw new Error(`still not ${want}`);
}

// Poll a Describe until the resource is gone: deletion ends in ResourceNotFoundException.
async function waitGone(command) {
  for (let i = 0; i < 600; i++) {
    try {
      await personalize.send(command);
    } catch (error) {
      if (error instanceof ResourceNotFoundException) return;
      throw error;
    }
    await sleep(200);
  }
  throw new Error("not deleted");
}

step("write and upload interactions.csv (1,200 interactions, 30 users, 50 items)");
const rows = ["USER_ID,ITEM_ID,TIMESTAMP"];
for (let u = 0; u < 30; u++) {
  for (let s = 0; s < 40; s++) rows.push(`user${u},item${(u * 7 + s * s) % 50},${1700000000 + u * 1000 + s}`);
}
await s3.send(new CreateBucketCommand({ Bucket: run }));
await s3.send(new PutObjectCommand({ Bucket: run, Key: "interactions.csv", Body: rows.join("\n") + "\n" }));
await s3.send(new PutBucketPolicyCommand({ Bucket: run, Policy: JSON.stringify({
  Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "personalize.amazonaws.com" },
    Action: ["s3:GetObject", "s3:ListBucket"], Resource: [`arn:aws:s3:::${run}`, `arn:aws:s3:::${run}/*`] }] }) }));
const { Role: role } = await iam.send(new CreateRoleCommand({ RoleName: run, AssumeRolePolicyDocument: JSON.stringify({
  Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "personalize.amazonaws.com" },
    Action: "sts:AssumeRole" }] }) }));

step("schema, dataset group, dataset");
const { schemaArn } = await personalize.send(new CreateSchemaCommand({ name: run, schema: JSON.stringify({
  type: "record", name: "Interactions", namespace: "com.amazonaws.personalize.schema", version: "1.0",
  fields: [{ name: "USER_ID", type: "string" }, { name: "ITEM_ID", type: "string" }, { name: "TIMESTAMP", type: "long" }],
}) }));
const { datasetGroupArn } = await personalize.send(new CreateDatasetGroupCommand({ name: run }));
await waitStatus(new DescribeDatasetGroupCommand({ datasetGroupArn }));
const { datasetArn } = await personalize.send(new CreateDatasetCommand({
  name: run, schemaArn, datasetGroupArn, datasetType: "Interactions" }));
await waitStatus(new DescribeDatasetCommand({ datasetArn }));

step("import the CSV");
const { datasetImportJobArn } = await personalize.send(new CreateDatasetImportJobCommand({
  jobName: run, datasetArn, roleArn: role.Arn, dataSource: { dataLocation: `s3://${run}/interactions.csv` } }));
await waitStatus(new DescribeDatasetImportJobCommand({ datasetImportJobArn }));

step("train aws-popularity-count and deploy a campaign");
const { solutionArn } = await personalize.send(new CreateSolutionCommand({
  name: run, datasetGroupArn, recipeArn: "arn:aws:personalize:::recipe/aws-popularity-count" }));
await waitStatus(new DescribeSolutionCommand({ solutionArn }));
const { solutionVersionArn } = await personalize.send(new CreateSolutionVersionCommand({ solutionArn }));
const version = await waitStatus(new DescribeSolutionVersionCommand({ solutionVersionArn }));
assert.ok(version.creationDateTime instanceof Date, "timestamps arrive as Dates");
const { campaignArn } = await personalize.send(new CreateCampaignCommand({
  name: run, solutionVersionArn, minProvisionedTPS: 1 }));
await waitStatus(new DescribeCampaignCommand({ campaignArn }));

step("GetRecommendations");
const { itemList, recommendationId } = await runtime.send(new GetRecommendationsCommand({
  campaignArn, userId: "user1", numResults: 10 }));
assert.equal(itemList.length, 10);
assert.ok(recommendationId, "a recommendationId");
console.log(`        user1: ${itemList.map((item) => item.itemId).join(" ")}`);

step("PutEvents through an event tracker");
const { eventTrackerArn, trackingId } = await personalize.send(new CreateEventTrackerCommand({ name: run, datasetGroupArn }));
await waitStatus(new DescribeEventTrackerCommand({ eventTrackerArn }));
await events.send(new PutEventsCommand({ trackingId, userId: "user1", sessionId: run, eventList: [
  { eventType: "click", itemId: "item3", sentAt: new Date() },
  { eventType: "click", itemId: "item4", sentAt: new Date(), recommendationId },
] }));

step("paginators: paginateListRecipes (pageSize 4), paginateListDatasetGroups (pageSize 1)");
const all = (await personalize.send(new ListRecipesCommand({}))).recipes;
let pages = 0;
const paged = [];
for await (const page of paginateListRecipes({ client: personalize, pageSize: 4 }, {})) {
  pages += 1;
  assert.ok(page.recipes.length <= 4, `a page of ${page.recipes.length} recipes, asked for 4`);
  paged.push(...page.recipes.map((recipe) => recipe.recipeArn));
}
assert.deepEqual(paged, all.map((recipe) => recipe.recipeArn));
assert.equal(pages, Math.ceil(all.length / 4));
const groups = [];
for await (const page of paginateListDatasetGroups({ client: personalize, pageSize: 1 }, {})) {
  groups.push(...page.datasetGroups.map((group) => group.name));
}
assert.ok(groups.includes(run), `${run} among ${groups.length} dataset groups`);

step("a typed error: DescribeCampaign of a missing ARN");
const missing = `${campaignArn.slice(0, campaignArn.lastIndexOf("/"))}/no-such-campaign-${run}`;
await assert.rejects(personalize.send(new DescribeCampaignCommand({ campaignArn: missing })), (error) => {
  assert.ok(error instanceof ResourceNotFoundException, `${error.name} is a ResourceNotFoundException`);
  assert.equal(error.name, "ResourceNotFoundException");
  assert.equal(error.$metadata.httpStatusCode, 400);
  assert.ok(error.$metadata.requestId, "a request id");
  assert.ok(error.message.includes(missing), error.message);
  console.log(`        ${error.name}: ${error.message}`);
  return true;
});

step("clean up");
await personalize.send(new DeleteCampaignCommand({ campaignArn }));
await personalize.send(new DeleteEventTrackerCommand({ eventTrackerArn }));
await waitGone(new DescribeCampaignCommand({ campaignArn }));
await waitGone(new DescribeEventTrackerCommand({ eventTrackerArn }));
await personalize.send(new DeleteSolutionCommand({ solutionArn }));
await personalize.send(new DeleteDatasetCommand({ datasetArn }));
await waitGone(new DescribeSolutionCommand({ solutionArn }));
await waitGone(new DescribeDatasetCommand({ datasetArn }));
await personalize.send(new DeleteDatasetGroupCommand({ datasetGroupArn }));
await waitGone(new DescribeDatasetGroupCommand({ datasetGroupArn }));
await personalize.send(new DeleteSchemaCommand({ schemaArn }));
await s3.send(new DeleteObjectCommand({ Bucket: run, Key: "interactions.csv" }));
await s3.send(new DeleteBucketCommand({ Bucket: run }));
await iam.send(new DeleteRoleCommand({ RoleName: run }));
step("scenario passed");
