#!/usr/bin/env node
// A Node client of both services, with @grpc/grpc-js and protos loaded at run time: the
// main flow (rep, campaign, capture, touch to MQL, the handoff arriving at sales, accept,
// close won, the outcome back at marketing) and a refused call whose google.rpc error
// details it decodes and prints (README.md, "Errors").
//
//   node scripts/node/example.js --marketing HOST:PORT --sales HOST:PORT --googleapis DIR
//
// DIR holds google/rpc and google/api protos (scripts/googleapis-protos.sh writes them).
// Plaintext only: run it against services on loopback. Exits non-zero on any surprise.
'use strict';

const path = require('path');
const crypto = require('crypto');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');
const protobuf = require('protobufjs');

function flag(name, fallback) {
  const i = process.argv.indexOf('--' + name);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

const root = path.resolve(__dirname, '..', '..');
const marketingAddress = flag('marketing', '127.0.0.1:50051');
const salesAddress = flag('sales', '127.0.0.1:50052');
const googleapis = flag('googleapis', path.join(root, 'build', 'googleapis'));
const includeDirs = [path.join(root, 'proto'), googleapis];

const definition = protoLoader.loadSync(
  ['handoff/marketing/v1/campaign_service.proto', 'handoff/marketing/v1/lead_service.proto',
   'handoff/sales/v1/rep_service.proto', 'handoff/sales/v1/opportunity_service.proto'],
  {includeDirs, keepCase: true, longs: String, enums: String, defaults: true});
const api = grpc.loadPackageDefinition(definition).handoff;

// google.rpc.Status and its details, to read grpc-status-details-bin.
const details = new protobuf.Root();
details.resolvePath = (_, target) => {
  for (const dir of includeDirs) {
    const candidate = path.join(dir, target);
    if (require('fs').existsSync(candidate)) return candidate;
  }
  return target;
};
details.loadSync(['google/rpc/status.proto', 'google/rpc/error_details.proto']);
details.resolveAll();
const RpcStatus = details.lookupType('google.rpc.Status');

// The details of a refused call: [{type, ...fields}], unpacked from their Any.
function errorDetails(error) {
  const raw = error.metadata && error.metadata.get('grpc-status-details-bin')[0];
  if (!raw) return [];
  return RpcStatus.decode(raw).details.map((any) => {
    const name = any.type_url.slice(any.type_url.lastIndexOf('/') + 1);
    const type = details.lookupType(name);
    return {type: name, ...type.toObject(type.decode(any.value), {longs: String, enums: String})};
  });
}

const credentials = grpc.credentials.createInsecure();
const campaigns = new api.marketing.v1.CampaignService(marketingAddress, credentials);
const leads = new api.marketing.v1.LeadService(marketingAddress, credentials);
const reps = new api.sales.v1.RepService(salesAddress, credentials);
const opportunities = new api.sales.v1.OpportunityService(salesAddress, credentials);

// A unary call as a promise, with a 5 s deadline (every call should have one).
function call(client, method, request) {
  return new Promise((resolve, reject) => {
    client[method](request, {deadline: Date.now() + 5000}, (error, response) =>
      error ? reject(error) : resolve(response));
  });
}

async function eventually(what, fn) {
  const deadline = Date.now() + 15000;
  while (Date.now() < deadline) {
    const value = await fn();
    if (value) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('timed out waiting for ' + what);
}

function check(condition, what) {
  if (!condition) throw new Error('unexpected: ' + what);
}

async function main() {
  const tag = crypto.randomBytes(4).toString('hex');
  const rid = () => crypto.randomUUID();

  const {rep} = await call(reps, 'CreateRep', {
    rep: {display_name: 'Node Rep', email: `node-rep-${tag}@example.com`, territories: ['FR'], capacity: 20},
    request_id: rid()});
  console.log('sales:     created', rep.name);

  const {campaign} = await call(campaigns, 'CreateCampaign', {
    campaign: {display_name: 'Node webinar', channel: 'CHANNEL_WEBINAR', state: 'CAMPAIGN_STATE_ACTIVE',
               budget: {amount_minor: '100000', currency_code: 'EUR'}},
    request_id: rid()});
  console.log('marketing: created', campaign.name);

  const captured = await call(leads, 'CaptureLead', {
    contact: {email: `ada.${tag}@example.org`, given_name: 'Ada', country_code: 'FR'},
    consent: {email: true, phone: true}, campaign: campaign.name, request_id: rid()});
  const lead = captured.lead.name;
  console.log('marketing: captured', lead, 'score', captured.lead.score);
  // The same person again, by another form: merged into the one lead, not a second record.
  const again = await call(leads, 'CaptureLead', {
    contact: {email: `ADA.${tag}@example.org`, phone: '+33 1 23 45 67 89', title: 'CTO'},
    campaign: campaign.name, request_id: rid()});
  check(again.merged && again.lead.name === lead, 'the second capture was not merged');
  console.log('marketing: second capture merged, score', again.lead.score);

  const touched = await call(leads, 'RecordTouch', {
    lead, campaign: campaign.name, touch_type: 'TOUCH_TYPE_EVENT_ATTENDED', touch_id: 'node-' + tag});
  console.log('marketing: event attended -> stage', touched.lead.lifecycle_stage, 'owner', touched.lead.owner);
  check(touched.lead.lifecycle_stage === 'LIFECYCLE_STAGE_MQL', 'the lead is not an MQL');

  // A refused call, and what a program can read from it.
  try {
    await call(leads, 'RecordTouch', {
      lead, campaign: campaign.name, touch_type: 'TOUCH_TYPE_EMAIL_SENT', touch_id: 'promo-' + tag});
    throw new Error('a promotional e-mail to a lead with sales was not refused');
  } catch (error) {
    if (error.code === undefined) throw error;
    const found = errorDetails(error);
    console.log('marketing: refused', grpc.status[error.code], '-', error.details);
    for (const detail of found) console.log('           ', JSON.stringify(detail));
    const info = found.find((d) => d.type === 'google.rpc.ErrorInfo');
    check(error.code === grpc.status.FAILED_PRECONDITION, 'code ' + error.code);
    check(info && info.reason === 'OWNED_BY_SALES' && info.domain === 'handoff', 'reason ' + JSON.stringify(info));
    check(found.some((d) => d.type === 'google.rpc.PreconditionFailure' && d.violations[0].subject === lead),
          'no PreconditionFailure naming the lead');
  }

  const opp = await eventually('the handoff to reach sales', async () => {
    const r = await call(opportunities, 'ListOpportunities', {lead});
    return r.opportunities[0];
  });
  console.log('sales:     received', opp.name, 'assigned to', opp.rep);
  await call(opportunities, 'AcceptOpportunity', {name: opp.name, request_id: rid()});
  await call(opportunities, 'AdvanceStage', {name: opp.name, stage: 'STAGE_QUALIFIED', request_id: rid()});
  await call(opportunities, 'CloseWon', {
    name: opp.name, amount: {amount_minor: '250000', currency_code: 'EUR'}, request_id: rid()});
  console.log('sales:     accepted and closed won 2500.00 EUR');

  const won = await eventually('the outcome to reach marketing', async () => {
    const r = await call(leads, 'GetLead', {name: lead});
    return r.lead.lifecycle_stage === 'LIFECYCLE_STAGE_CUSTOMER' ? r.lead : null;
  });
  check(won.won_revenue.amount_minor === '250000', 'won revenue ' + won.won_revenue.amount_minor);
  console.log('marketing: lead is now', won.lifecycle_stage, 'with won revenue', won.won_revenue.amount_minor,
              won.won_revenue.currency_code, 'minor units');
  console.log('node example: OK');
}

main().then(() => process.exit(0), (error) => {
  console.error('node example:', error.message || error);
  process.exit(1);
});
