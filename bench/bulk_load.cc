// bench/handoff-bulk-load: fills a marketing database (and optionally a sales database)
// with a large synthetic data set for the scale benchmarks: campaigns with spend, leads
// spread over a year with their touches, stage history along the lifecycle, outcomes for
// the leads sales took, and in sales the matching opportunities with their timeline.
//
// It writes through the services' own stores (SqlMarketingStore, SqlSalesStore), so
// the schema, its migrations and whatever the stores maintain beside the rows are exactly
// what the services use; speed comes from --batch rows per transaction. Deterministic for
// a given --seed. The databases must be new (the loader refuses to add to existing leads).
#include <cstdio>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "common/ids.h"
#include "common/page_token.h"
#include "handoff/marketing/v1/lead_service.pb.h"
#include "marketing-service/domain/campaign_report.h"
#include "marketing-service/storage/sql_marketing_store.h"
#include "sales-service/storage/sql_sales_store.h"

ABSL_FLAG(std::string, marketing_db, "", "Marketing SQLite file to create (required)");
ABSL_FLAG(std::string, sales_db, "", "Sales SQLite file to create; empty: marketing only");
ABSL_FLAG(int64_t, leads, 1000000, "Leads to create");
ABSL_FLAG(double, touches_per_lead, 5.0, "Average touches per lead (each lead has at least one)");
ABSL_FLAG(int32_t, campaigns, 40, "Campaigns to create");
ABSL_FLAG(int32_t, reps, 20, "Sales reps to create (with --sales_db)");
ABSL_FLAG(int32_t, batch, 20000, "Leads per transaction");
ABSL_FLAG(uint64_t, seed, 1, "Random seed");
ABSL_FLAG(std::string, sample_out, "",
          "Write a sample for the read benchmarks here: 'lead NAME' and 'page TOKEN' lines "
          "(random leads, and ListLeads page tokens at random depths)");
ABSL_FLAG(int32_t, sample_size, 10000, "Lines of each kind in --sample_out");

namespace handoff::bench {
namespace {

namespace mkt = handoff::marketing;
namespace sales = handoff::sales;

constexpr const char* kCurrency = "EUR";
constexpr const char* kCountries[] = {"DE", "FR", "GB", "US", "NL", "ES", "IT", "SE"};

// Where a lead ends up, with the share of leads that get there (per mille).
struct Fate {
  mkt::LifecycleStage stage;
  int per_mille;
};
constexpr Fate kFates[] = {
    {mkt::LifecycleStage::kSubscriber, 100}, {mkt::LifecycleStage::kLead, 600},
    {mkt::LifecycleStage::kMql, 100},        {mkt::LifecycleStage::kRecycled, 60},
    {mkt::LifecycleStage::kSalesAccepted, 30}, {mkt::LifecycleStage::kCustomer, 60},
    {mkt::LifecycleStage::kDisqualified, 50},
};

mkt::LifecycleStage PickFate(std::mt19937_64& rng) {
  int r = static_cast<int>(rng() % 1000);
  for (const Fate& f : kFates) {
    if (r < f.per_mille) return f.stage;
    r -= f.per_mille;
  }
  return mkt::LifecycleStage::kLead;
}

struct Totals {
  int64_t leads = 0, touches = 0, stage_changes = 0, outcomes = 0, opportunities = 0;
};

// What one lead needs on the sales side.
struct Handed {
  mkt::Lead lead;              // as stored in marketing
  std::string opportunity_id;  // empty: never reached sales
  absl::Time handoff_time;
  absl::Time close_time;  // InfinitePast: still open
  bool won() const { return lead.stage == mkt::LifecycleStage::kCustomer; }
};

class Loader {
 public:
  Loader(mkt::MarketingStore& m, sales::SalesStore* s, uint64_t seed)
      : mkt_(m), sales_(s), rng_(seed) {}

  absl::Status Run(int64_t leads, double touches_per_lead, int campaigns, int reps, int batch) {
    if (absl::Status s = CheckEmpty(); !s.ok()) return s;
    // Every win below gets its attribution as it is written, as ReportOutcome does, so the
    // start-up has none to catch up on.
    if (absl::Status s = mkt_.Run([](mkt::MarketingTx& tx) { return mkt::AttributeEarlierWins(tx); }); !s.ok()) {
      return s;
    }
    if (absl::Status s = MakeCampaigns(campaigns); !s.ok()) return s;
    if (sales_ != nullptr) {
      if (absl::Status s = MakeReps(reps); !s.ok()) return s;
    }
    const absl::Time t0 = absl::Now();
    for (int64_t first = 0; first < leads; first += batch) {
      const int64_t last = std::min(leads, first + batch);
      std::vector<Handed> handed;
      absl::Status s = mkt_.Run([&](mkt::MarketingTx& tx) -> absl::Status {
        for (int64_t n = first; n < last; ++n) {
          if (absl::Status w = WriteLead(tx, n, leads, touches_per_lead, handed); !w.ok()) return w;
        }
        return absl::OkStatus();
      });
      if (!s.ok()) return s;
      if (sales_ != nullptr && !handed.empty()) {
        s = sales_->Run([&](sales::SalesTx& tx) -> absl::Status {
          for (const Handed& h : handed) {
            if (absl::Status w = WriteOpportunity(tx, h); !w.ok()) return w;
          }
          return absl::OkStatus();
        });
        if (!s.ok()) return s;
      }
      std::fprintf(stderr, "\rbulk-load: %lld/%lld leads, %lld touches, %.0f s", static_cast<long long>(last),
                   static_cast<long long>(leads), static_cast<long long>(totals_.touches),
                   absl::ToDoubleSeconds(absl::Now() - t0));
    }
    std::fprintf(stderr, "\n");
    return absl::OkStatus();
  }

  const Totals& totals() const { return totals_; }

  // Writes 'lead NAME' lines for the sampled leads and 'page TOKEN' lines for pages that
  // start at random depths of the listing (leads are numbered 1..N in a new database).
  absl::Status WriteSample(const std::string& path, int size) {
    std::ofstream out(path);
    for (const std::string& id : sample_) out << "lead " << ResourceName("leads", id) << "\n";
    for (int i = 0; i < size && totals_.leads > 0; ++i) {
      // Tokens of the unfiltered ListLeads, as the service issues them.
      out << "page "
          << EncodePageToken(handoff::marketing::v1::ListLeadsRequest(),
                             static_cast<int64_t>(rng_() % static_cast<uint64_t>(totals_.leads)))
          << "\n";
    }
    out.close();
    if (!out) return absl::UnavailableError(absl::StrCat("cannot write ", path));
    return absl::OkStatus();
  }
  void set_sample_size(int size) { sample_size_ = size; }

 private:
  absl::Status CheckEmpty() {
    return mkt_.Run([&](mkt::MarketingTx& tx) -> absl::Status {
      absl::StatusOr<Page<mkt::Lead>> page = tx.ListLeads(mkt::LeadFilter{}, 0, 1);
      if (!page.ok()) return page.status();
      if (!page->items.empty()) {
        return absl::FailedPreconditionError("the marketing database already holds leads; give a new file");
      }
      return absl::OkStatus();
    });
  }

  absl::Status MakeCampaigns(int count) {
    return mkt_.Run([&](mkt::MarketingTx& tx) -> absl::Status {
      for (int i = 0; i < count; ++i) {
        mkt::Campaign c;
        c.id = NewId();
        c.display_name = absl::StrCat("Bulk campaign ", i + 1);
        c.channel = static_cast<mkt::Channel>(1 + i % 10);
        c.state = mkt::CampaignState::kActive;
        c.budget = Money{5'000'000'00, kCurrency};
        c.create_time = c.update_time = kStart;
        std::vector<mkt::SpendEntry> spend;
        for (int k = 0; k < 12; ++k) {  // a spend entry a month
          const int64_t amount = 100'000'00 + static_cast<int64_t>(rng_() % 100'000'00);
          spend.push_back({0, c.id, amount, "monthly media spend", "bulk-load", "", kStart + absl::Hours(24 * 30 * k)});
          c.spent_minor += amount;
        }
        if (absl::Status s = tx.InsertCampaign(c); !s.ok()) return s;
        for (const mkt::SpendEntry& e : spend) {
          if (absl::Status s = tx.InsertSpend(e); !s.ok()) return s;
        }
        campaigns_.push_back(c.id);
      }
      return absl::OkStatus();
    });
  }

  absl::Status MakeReps(int count) {
    return sales_->Run([&](sales::SalesTx& tx) -> absl::Status {
      for (int i = 0; i < count; ++i) {
        sales::Rep r;
        r.id = NewId();
        r.display_name = absl::StrCat("Rep ", i + 1);
        r.email = absl::StrCat("rep-", i + 1, "@bulk.example");
        r.territories = {kCountries[i % 8]};
        r.capacity = 10000;  // the most the API allows
        r.create_time = r.update_time = kStart;
        if (absl::Status s = tx.InsertRep(r); !s.ok()) return s;
        reps_.push_back(r.id);
      }
      return absl::OkStatus();
    });
  }

  absl::Status Stage(mkt::MarketingTx& tx, const std::string& id, mkt::LifecycleStage stage,
                     absl::Time& t, const char* reason) {
    t += absl::Minutes(30 + static_cast<int64_t>(rng_() % (60 * 24 * 10)));  // 30 min to 10 days later
    ++totals_.stage_changes;
    return tx.AppendStageChange(id, {stage, t, reason});
  }

  absl::Status Outcome(mkt::MarketingTx& tx, const mkt::Lead& l, mkt::Outcome o, Money amount,
                       absl::Time t) {
    ++totals_.outcomes;
    const mkt::OutcomeRecord record{l.id, l.opportunity, o, std::move(amount), t};
    absl::StatusOr<int64_t> id = tx.InsertOutcome(record);
    if (!id.ok()) return id.status();
    // What ReportOutcome does for a win: the revenue shares for the campaign reports.
    if (o == mkt::Outcome::kWon) return mkt::RecordWinAttribution(tx, *id, record);
    return absl::OkStatus();
  }

  absl::Status WriteLead(mkt::MarketingTx& tx, int64_t n, int64_t total, double touches_per_lead,
                         std::vector<Handed>& handed) {
    // Created evenly over the year before kEnd, in lead order.
    const absl::Time created = kStart + (kEnd - kStart) * (static_cast<double>(n) / static_cast<double>(total));
    mkt::Lead l;
    l.id = NewId();
    l.contact.email = absl::StrFormat("lead-%08d@bulk.example", n);
    if (n % 3 == 0) l.contact.phone = absl::StrFormat("+4930%08d", n);
    l.contact.given_name = absl::StrCat("Given", n % 997);
    l.contact.family_name = absl::StrCat("Family", n % 1009);
    l.contact.company = absl::StrCat("Company ", n % 5003);
    l.contact.title = (n % 4 == 0) ? "Head of Operations" : "Analyst";
    l.contact.country_code = kCountries[n % 8];
    l.consent.email = n % 10 != 0;
    l.consent.phone = n % 3 == 0;
    l.source_campaign_id = campaigns_.empty() ? "" : campaigns_[rng_() % campaigns_.size()];
    l.create_time = created;

    // Touches: at least one (the capture), on average touches_per_lead, spread over the
    // weeks after capture, mostly on the source campaign.
    const double extra_mean = std::max(0.0, touches_per_lead - 1.0);
    const int touches = 1 + std::poisson_distribution<int>(extra_mean)(rng_);
    absl::Time t = created;
    for (int k = 0; k < touches; ++k) {
      mkt::Touch touch;
      touch.touch_id = NewId();
      touch.lead_id = l.id;
      touch.campaign_id = (k == 0 || rng_() % 3 != 0 || campaigns_.empty())
                              ? l.source_campaign_id
                              : campaigns_[rng_() % campaigns_.size()];
      touch.type = k == 0 ? mkt::TouchType::kFormSubmit
                          : static_cast<mkt::TouchType>(1 + rng_() % 10);
      touch.time = t;
      t += absl::Minutes(static_cast<int64_t>(rng_() % (60 * 24 * 3)));
      absl::StatusOr<bool> inserted = tx.InsertTouch(touch);
      if (!inserted.ok()) return inserted.status();
    }
    totals_.touches += touches;
    l.touch_count = touches;
    l.score = 10 * touches;

    // Stage history along the lifecycle up to the lead's fate.
    const mkt::LifecycleStage fate = PickFate(rng_);
    absl::Time st = created;
    ++totals_.stage_changes;
    const mkt::LifecycleStage first =
        fate == mkt::LifecycleStage::kSubscriber ? mkt::LifecycleStage::kSubscriber : mkt::LifecycleStage::kLead;
    if (absl::Status s = tx.AppendStageChange(l.id, {first, st, "captured"}); !s.ok()) return s;
    l.stage = first;
    if (fate == mkt::LifecycleStage::kDisqualified) {
      if (absl::Status s = Stage(tx, l.id, fate, st, "disqualified: bulk"); !s.ok()) return s;
      l.stage = fate;
    }
    const bool reached_mql = fate == mkt::LifecycleStage::kMql || fate == mkt::LifecycleStage::kRecycled ||
                             fate == mkt::LifecycleStage::kSalesAccepted || fate == mkt::LifecycleStage::kCustomer;
    Handed h;
    if (reached_mql) {
      l.ever_mql = true;
      if (absl::Status s = Stage(tx, l.id, mkt::LifecycleStage::kMql, st, "score reached the MQL threshold");
          !s.ok()) {
        return s;
      }
      l.stage = mkt::LifecycleStage::kMql;
      l.owner = mkt::Owner::kSalesPending;
      h.handoff_time = st;
    }
    if (fate != mkt::LifecycleStage::kMql && reached_mql) {
      h.opportunity_id = NewId();
      l.opportunity = ResourceName("opportunities", h.opportunity_id);
      if (fate == mkt::LifecycleStage::kRecycled) {
        if (absl::Status s = Stage(tx, l.id, fate, st, "sales rejected: not a fit"); !s.ok()) return s;
        if (absl::Status s = Outcome(tx, l, mkt::Outcome::kRejected, Money{}, st); !s.ok()) return s;
        l.stage = fate;
        l.owner = mkt::Owner::kMarketing;
        l.ever_rejected = true;
        l.last_outcome = mkt::Outcome::kRejected;
        h.close_time = st;
      } else {
        if (absl::Status s = Stage(tx, l.id, mkt::LifecycleStage::kSalesAccepted, st, "sales accepted"); !s.ok()) {
          return s;
        }
        if (absl::Status s = Outcome(tx, l, mkt::Outcome::kAccepted, Money{}, st); !s.ok()) return s;
        l.stage = mkt::LifecycleStage::kSalesAccepted;
        l.owner = mkt::Owner::kSales;
        l.ever_accepted = true;
        l.last_outcome = mkt::Outcome::kAccepted;
        if (fate == mkt::LifecycleStage::kCustomer) {
          const Money won{1'000'00 + static_cast<int64_t>(rng_() % 50'000'00), kCurrency};
          if (absl::Status s = Stage(tx, l.id, fate, st, "won"); !s.ok()) return s;
          if (absl::Status s = Outcome(tx, l, mkt::Outcome::kWon, won, st); !s.ok()) return s;
          l.stage = fate;
          l.owner = mkt::Owner::kMarketing;
          l.won_revenue = won;
          l.won_count = 1;
          l.last_outcome = mkt::Outcome::kWon;
          h.close_time = st;
        }
      }
    }
    l.update_time = std::max(st, t);
    if (absl::Status s = tx.InsertLead(l); !s.ok()) return s;
    ++totals_.leads;
    Sample(l.id);
    if (!h.opportunity_id.empty()) {
      h.lead = l;
      handed.push_back(std::move(h));
    }
    return absl::OkStatus();
  }

  absl::Status WriteOpportunity(sales::SalesTx& tx, const Handed& h) {
    sales::Opportunity o;
    o.id = h.opportunity_id;
    o.lead = ResourceName("leads", h.lead.id);
    o.contact = h.lead.contact;
    o.consent = h.lead.consent;
    o.marketing.score = h.lead.score;
    o.marketing.campaigns = {ResourceName("campaigns", h.lead.source_campaign_id)};
    o.rep_id = reps_[rng_() % reps_.size()];
    o.handoff_time = o.create_time = o.stage_time = o.pending_since = h.handoff_time;
    o.amount = Money{h.won() ? h.lead.won_revenue.amount_minor : 10'000'00, kCurrency};
    if (h.lead.stage == mkt::LifecycleStage::kRecycled) {
      o.acceptance = sales::Acceptance::kRejected;
      o.reject_reason = sales::RejectReason::kNotAFit;
    } else {
      o.acceptance = sales::Acceptance::kAccepted;
      o.accept_time = o.first_touch_time = h.handoff_time + absl::Hours(2);
      o.stage = h.won() ? sales::Stage::kClosedWon : sales::Stage::kContacted;
    }
    if (h.close_time != absl::InfinitePast()) o.close_time = h.close_time;
    o.update_time = std::max(o.handoff_time, o.close_time);
    if (absl::Status s = tx.InsertOpportunity(o); !s.ok()) return s;
    if (absl::Status s = tx.RecordAssignment(o.id, o.rep_id, o.handoff_time, "bulk load"); !s.ok()) return s;
    if (o.stage != sales::Stage::kNew) {
      sales::StageChange c;
      c.from = sales::Stage::kNew;
      c.to = o.stage;
      c.time_in_from = o.update_time - o.handoff_time;
      c.reason = "bulk load";
      if (absl::Status s = tx.RecordStageChange(o.id, o.update_time, c); !s.ok()) return s;
    }
    ++totals_.opportunities;
    return absl::OkStatus();
  }

  // Reservoir sampling: every lead equally likely to be in the sample.
  void Sample(const std::string& id) {
    ++seen_;
    if (static_cast<int>(sample_.size()) < sample_size_) {
      sample_.push_back(id);
    } else if (const uint64_t k = rng_() % seen_; k < sample_.size()) {
      sample_[k] = id;
    }
  }

  const absl::Time kEnd = absl::Now() - absl::Hours(24 * 30);
  const absl::Time kStart = kEnd - absl::Hours(24 * 365);
  mkt::MarketingStore& mkt_;
  sales::SalesStore* sales_;
  std::mt19937_64 rng_;
  std::vector<std::string> campaigns_;
  std::vector<std::string> reps_;
  Totals totals_;
  int sample_size_ = 0;
  uint64_t seen_ = 0;
  std::vector<std::string> sample_;
};

int Main() {
  const std::string mpath = absl::GetFlag(FLAGS_marketing_db);
  if (mpath.empty()) {
    std::fprintf(stderr, "bulk-load: --marketing_db is required\n");
    return 2;
  }
  // A new file that can simply be loaded again: no fsync, a large cache, no readers.
  DatabaseOptions options;
  options.sqlite_readers = 0;
  options.sqlite_cache_kib = 1024 * 1024;
  options.sqlite_durable = false;
  options.sqlite_memory_temp_store = false;  // transactions of hundreds of MiB (see the option)
  absl::StatusOr<std::unique_ptr<mkt::SqlMarketingStore>> m = mkt::SqlMarketingStore::OpenSqlite(mpath, options);
  if (!m.ok()) {
    std::fprintf(stderr, "bulk-load: %s\n", m.status().ToString().c_str());
    return 1;
  }
  std::unique_ptr<sales::SqlSalesStore> s;
  if (const std::string spath = absl::GetFlag(FLAGS_sales_db); !spath.empty()) {
    absl::StatusOr<std::unique_ptr<sales::SqlSalesStore>> opened = sales::SqlSalesStore::OpenSqlite(spath, options);
    if (!opened.ok()) {
      std::fprintf(stderr, "bulk-load: %s\n", opened.status().ToString().c_str());
      return 1;
    }
    s = *std::move(opened);
  }
  Loader loader(**m, s.get(), absl::GetFlag(FLAGS_seed));
  const std::string sample_path = absl::GetFlag(FLAGS_sample_out);
  if (!sample_path.empty()) loader.set_sample_size(absl::GetFlag(FLAGS_sample_size));
  const absl::Time t0 = absl::Now();
  absl::Status st = loader.Run(absl::GetFlag(FLAGS_leads), absl::GetFlag(FLAGS_touches_per_lead),
                               absl::GetFlag(FLAGS_campaigns), absl::GetFlag(FLAGS_reps),
                               std::max(1, absl::GetFlag(FLAGS_batch)));
  if (!st.ok()) {
    std::fprintf(stderr, "bulk-load: %s\n", st.ToString().c_str());
    return 1;
  }
  if (!sample_path.empty()) {
    if (absl::Status w = loader.WriteSample(sample_path, absl::GetFlag(FLAGS_sample_size)); !w.ok()) {
      std::fprintf(stderr, "bulk-load: %s\n", w.ToString().c_str());
      return 1;
    }
  }
  const Totals& t = loader.totals();
  const double secs = absl::ToDoubleSeconds(absl::Now() - t0);
  std::printf("bulk-load: %lld leads, %lld touches, %lld stage changes, %lld outcomes, %lld opportunities in %.1f s"
              " (%.0f rows/s)\n",
              static_cast<long long>(t.leads), static_cast<long long>(t.touches),
              static_cast<long long>(t.stage_changes), static_cast<long long>(t.outcomes),
              static_cast<long long>(t.opportunities), secs,
              static_cast<double>(t.leads + t.touches + t.stage_changes + t.outcomes + t.opportunities) / secs);
  return 0;
}

}  // namespace
}  // namespace handoff::bench

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return handoff::bench::Main();
}
