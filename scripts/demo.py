#!/usr/bin/python3
"""Walks the Handoff flow end to end with an independent client (Debian's python3-grpcio).

Usage: /usr/bin/python3 scripts/demo.py [--marketing 127.0.0.1:50051] [--sales 127.0.0.1:50052]
                                        [--tls_ca CA.pem --tls_cert CERT.pem --tls_key KEY.pem]

Plaintext by default (services on loopback). With --tls_ca it speaks TLS and, with
--tls_cert/--tls_key, presents a client certificate: under the shipped policies that of
the CRM front end (scripts/dev-certs.sh DIR makes DIR/crm-frontend.pem and .key).

Creates a rep and a campaign, captures a lead twice (the second capture merges), records
touches until the lead is an MQL, waits for sales to receive the handoff, accepts it,
logs a call and a meeting, moves the stages, closes it won and prints marketing's
campaign report with the won revenue against the spend. Exits non-zero on any failure.
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time
import uuid

from grpc_tools import protoc
import grpc

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def load_stubs():
    """Generates Python stubs from proto/ into a temp dir and imports them."""
    out = tempfile.mkdtemp(prefix="handoff-demo-")
    import grpc_tools
    well_known = os.path.join(os.path.dirname(grpc_tools.__file__), "_proto")
    protos = []
    for d, _, files in os.walk(os.path.join(ROOT, "proto", "handoff")):
        protos += [os.path.relpath(os.path.join(d, f), os.path.join(ROOT, "proto"))
                   for f in files if f.endswith(".proto")]
    # google/rpc (error details) and google/api (field behaviour), from Debian packages.
    googleapis = os.path.join(out, "googleapis")
    subprocess.run([os.path.join(ROOT, "scripts", "googleapis-protos.sh"), googleapis], check=True)
    protos += ["google/rpc/status.proto", "google/rpc/error_details.proto",
               "google/api/field_behavior.proto"]
    args = ["protoc", "-I" + os.path.join(ROOT, "proto"), "-I" + googleapis, "-I" + well_known,
            "-I/usr/include", "--python_out=" + out, "--grpc_python_out=" + out] + protos
    if protoc.main(args) != 0:
        sys.exit("demo: protoc failed")
    sys.path.insert(0, out)


def error_details(error):
    """The google.rpc details of a refused call (grpc-status-details-bin), unpacked."""
    from google.rpc import error_details_pb2, status_pb2
    raw = dict(error.trailing_metadata() or ()).get("grpc-status-details-bin")
    if raw is None:
        return []
    kinds = (error_details_pb2.ErrorInfo, error_details_pb2.BadRequest,
             error_details_pb2.PreconditionFailure, error_details_pb2.RetryInfo,
             error_details_pb2.ResourceInfo)
    found = []
    for detail in status_pb2.Status.FromString(raw).details:
        for kind in kinds:
            if detail.Is(kind.DESCRIPTOR):
                message = kind()
                detail.Unpack(message)
                found.append(message)
    return found


def rid():
    return str(uuid.uuid4())


def wait_for(what, fn, timeout=15.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = fn()
        if value:
            return value
        time.sleep(0.05)
    sys.exit("demo: timed out waiting for " + what)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--marketing", default="127.0.0.1:50051")
    parser.add_argument("--sales", default="127.0.0.1:50052")
    parser.add_argument("--tls_ca", help="CA bundle that verifies the services (turns TLS on)")
    parser.add_argument("--tls_cert", help="client certificate (PEM), with --tls_key")
    parser.add_argument("--tls_key", help="its private key (PEM)")
    args = parser.parse_args()
    if (args.tls_cert or args.tls_key) and not args.tls_ca:
        sys.exit("demo: --tls_cert and --tls_key need --tls_ca")
    load_stubs()
    from handoff.common.v1 import contact_pb2, money_pb2
    from handoff.marketing.v1 import (campaign_pb2, campaign_service_pb2, campaign_service_pb2_grpc,
                                      lead_pb2, lead_service_pb2, lead_service_pb2_grpc,
                                      report_service_pb2, report_service_pb2_grpc)
    from handoff.sales.v1 import (opportunity_pb2, opportunity_service_pb2,
                                  opportunity_service_pb2_grpc, rep_pb2, rep_service_pb2,
                                  rep_service_pb2_grpc)

    if args.tls_ca:
        def read(path):
            with open(path, "rb") as f:
                return f.read()
        credentials = grpc.ssl_channel_credentials(
            root_certificates=read(args.tls_ca),
            private_key=read(args.tls_key) if args.tls_key else None,
            certificate_chain=read(args.tls_cert) if args.tls_cert else None)
        m = grpc.secure_channel(args.marketing, credentials)
        s = grpc.secure_channel(args.sales, credentials)
    else:
        m = grpc.insecure_channel(args.marketing)
        s = grpc.insecure_channel(args.sales)
    campaigns = campaign_service_pb2_grpc.CampaignServiceStub(m)
    leads = lead_service_pb2_grpc.LeadServiceStub(m)
    reports = report_service_pb2_grpc.MarketingReportServiceStub(m)
    reps = rep_service_pb2_grpc.RepServiceStub(s)
    opps = opportunity_service_pb2_grpc.OpportunityServiceStub(s)
    t = 5  # seconds: every call has a deadline

    tag = uuid.uuid4().hex[:8]
    rep = reps.CreateRep(rep_service_pb2.CreateRepRequest(
        rep=rep_pb2.Rep(display_name="Demo Rep", email=f"rep-{tag}@example.com",
                        territories=["DE"], capacity=50),
        request_id=rid()), timeout=t).rep
    print("sales:     created", rep.name, "covering DE")

    campaign = campaigns.CreateCampaign(campaign_service_pb2.CreateCampaignRequest(
        campaign=campaign_pb2.Campaign(
            display_name="Demo webinar", channel=campaign_pb2.CHANNEL_WEBINAR,
            state=campaign_pb2.CAMPAIGN_STATE_ACTIVE,
            budget=money_pb2.Money(amount_minor=500000, currency_code="EUR")),
        request_id=rid()), timeout=t).campaign
    campaigns.RecordSpend(campaign_service_pb2.RecordSpendRequest(
        campaign=campaign.name, amount=money_pb2.Money(amount_minor=120000, currency_code="EUR"),
        note="webinar platform", request_id=rid()), timeout=t)
    print("marketing: created", campaign.name, "budget 5000.00 EUR, spent 1200.00 EUR")

    email = f"Grace.Hopper+{tag}@Example.com"
    first = leads.CaptureLead(lead_service_pb2.CaptureLeadRequest(
        contact=contact_pb2.Contact(email="  " + email, given_name="Grace", title="CTO",
                                    company="Navy Labs", country_code="de"),
        consent=contact_pb2.Consent(email=True, phone=True),
        campaign=campaign.name, request_id=rid()), timeout=t)
    print("marketing: captured", first.lead.name, "as", first.lead.contact.email,
          "score", first.lead.score)
    second = leads.CaptureLead(lead_service_pb2.CaptureLeadRequest(
        contact=contact_pb2.Contact(email=email.upper(), phone="+49 30 1234567"),
        campaign=campaign.name, request_id=rid()), timeout=t)
    assert second.merged and second.lead.name == first.lead.name, "duplicate was not merged"
    print("marketing: second capture merged into the same lead (matched on",
          second.matched_on + "), score", second.lead.score)

    lead = second.lead
    touch = leads.RecordTouch(lead_service_pb2.RecordTouchRequest(
        lead=lead.name, campaign=campaign.name, touch_type=lead_pb2.TOUCH_TYPE_EVENT_ATTENDED,
        touch_id="demo-" + tag), timeout=t)
    lead = touch.lead
    print("marketing: event attended -> score", lead.score, "stage",
          lead_pb2.LifecycleStage.Name(lead.lifecycle_stage), "owner",
          lead_pb2.Owner.Name(lead.owner))
    assert lead.lifecycle_stage == lead_pb2.LIFECYCLE_STAGE_MQL

    # A refused call says why in a form a program can act on (README.md, "Errors"): while
    # sales has the lead, marketing may not send it promotional e-mail.
    try:
        leads.RecordTouch(lead_service_pb2.RecordTouchRequest(
            lead=lead.name, campaign=campaign.name, touch_type=lead_pb2.TOUCH_TYPE_EMAIL_SENT,
            touch_id="promo-" + tag), timeout=t)
        sys.exit("demo: a promotional e-mail to a lead with sales was not refused")
    except grpc.RpcError as refused:
        from google.protobuf import text_format
        details = error_details(refused)
        print("marketing: refused", refused.code().name, "-", refused.details())
        for detail in details:
            print("           ", type(detail).__name__, text_format.MessageToString(detail, as_one_line=True))
        reasons = [d.reason for d in details if type(d).__name__ == "ErrorInfo"]
        assert refused.code() == grpc.StatusCode.FAILED_PRECONDITION, refused.code()
        assert reasons == ["OWNED_BY_SALES"], reasons

    def find_opportunity():
        r = opps.ListOpportunities(opportunity_service_pb2.ListOpportunitiesRequest(lead=lead.name),
                                   timeout=t)
        return r.opportunities[0] if r.opportunities else None
    opp = wait_for("the handoff to reach sales", find_opportunity)
    print("sales:     received", opp.name, "assigned to", opp.rep)

    opps.AcceptOpportunity(opportunity_service_pb2.AcceptOpportunityRequest(
        name=opp.name, request_id=rid()), timeout=t)
    for activity in (
            opportunity_pb2.Activity(type=opportunity_pb2.ACTIVITY_TYPE_CALL,
                                     call_outcome=opportunity_pb2.CALL_OUTCOME_CONNECTED,
                                     summary="cold call", next_step="meeting"),
            opportunity_pb2.Activity(type=opportunity_pb2.ACTIVITY_TYPE_MEETING,
                                     meeting_status=opportunity_pb2.MEETING_STATUS_HELD,
                                     summary="one-on-one")):
        opps.LogActivity(opportunity_service_pb2.LogActivityRequest(
            opportunity=opp.name, activity=activity, request_id=rid()), timeout=t)
    for stage in (opportunity_pb2.STAGE_QUALIFIED, opportunity_pb2.STAGE_PROPOSAL,
                  opportunity_pb2.STAGE_NEGOTIATION):
        opps.AdvanceStage(opportunity_service_pb2.AdvanceStageRequest(
            name=opp.name, stage=stage, request_id=rid()), timeout=t)
    print("sales:     accepted, logged a call and a meeting, moved to NEGOTIATION")
    opps.CloseWon(opportunity_service_pb2.CloseWonRequest(
        name=opp.name, amount=money_pb2.Money(amount_minor=900000, currency_code="EUR"),
        request_id=rid()), timeout=t)
    print("sales:     closed won 9000.00 EUR")

    def customer():
        got = leads.GetLead(lead_service_pb2.GetLeadRequest(name=lead.name), timeout=t).lead
        return got if got.lifecycle_stage == lead_pb2.LIFECYCLE_STAGE_CUSTOMER else None
    won = wait_for("the outcome to reach marketing", customer)
    print("marketing: lead is now", lead_pb2.LifecycleStage.Name(won.lifecycle_stage),
          "with won revenue", won.won_revenue.amount_minor / 100, won.won_revenue.currency_code)

    perf = reports.GetCampaignPerformance(report_service_pb2.GetCampaignPerformanceRequest(
        campaign=campaign.name), timeout=t)
    print(f"report:    leads {perf.leads}, merged {perf.merged_captures}, MQLs {perf.mqls}, "
          f"accepted {perf.accepted}, won {perf.won}, revenue {perf.revenue.amount_minor / 100:.2f}, "
          f"spend {perf.spend.amount_minor / 100:.2f}, ROI {perf.roi_basis_points / 100:.2f}%")
    assert (perf.leads, perf.merged_captures, perf.won) == (1, 1, 1)
    assert perf.revenue.amount_minor == 900000 and perf.spend.amount_minor == 120000
    assert perf.roi_basis_points == 65000
    print("demo: OK")


if __name__ == "__main__":
    main()
