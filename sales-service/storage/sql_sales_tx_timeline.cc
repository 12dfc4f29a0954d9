// SqlSalesTx (sql_sales_tx.h): activities and the opportunity timeline.

#include "sales-service/storage/sql_sales_tx.h"

#include <limits>

#include "absl/strings/str_cat.h"

namespace handoff::sales {

using sql::Statement;

namespace {

// Columns of timeline joined with activities, read by ReadTimelineEntry.
constexpr char kTimelineSelect[] =
    "SELECT t.seq, t.time_us, t.kind, t.from_stage, t.to_stage, t.time_in_from_us, t.rep_id,"
    " t.reason, a.id, a.type, a.call_outcome, a.meeting_status, a.summary, a.next_step,"
    " a.next_step_due_us, a.time_us, a.rep_id, a.performed_by"
    " FROM timeline t LEFT JOIN activities a ON t.kind = 1 AND a.id = t.activity_id";

TimelineEntry ReadTimelineEntry(const Statement& q, const std::string& opportunity_id) {
  TimelineEntry e;
  e.time = q.Time(1);
  e.kind = static_cast<TimelineEntry::Kind>(q.Int(2));
  switch (e.kind) {
    case TimelineEntry::Kind::kStageChange:
      e.stage_change = StageChange{static_cast<Stage>(q.Int(3)), static_cast<Stage>(q.Int(4)),
                                   absl::Microseconds(q.Int(5)), q.Text(7), q.Text(6)};
      break;
    case TimelineEntry::Kind::kAssignment:
      e.assignment = AssignmentRecord{q.Text(6), q.Text(7)};
      break;
    case TimelineEntry::Kind::kActivity:
      e.activity.id = q.Text(8);
      e.activity.opportunity_id = opportunity_id;
      e.activity.type = static_cast<ActivityType>(q.Int(9));
      e.activity.call_outcome = static_cast<CallOutcome>(q.Int(10));
      e.activity.meeting_status = static_cast<MeetingStatus>(q.Int(11));
      e.activity.summary = q.Text(12);
      e.activity.next_step = q.Text(13);
      e.activity.next_step_due = q.OptionalTime(14);
      e.activity.time = q.Time(15);
      e.activity.rep_id = q.Text(16);
      e.activity.performed_by = q.Text(17);
      break;
  }
  return e;
}

}  // namespace

absl::Status SqlSalesTx::RecordAssignment(const std::string& opportunity_id, const std::string& rep_id,
                                          absl::Time time, const std::string& reason) {
  return AppendTimeline(opportunity_id, time, TimelineEntry::Kind::kAssignment, "",
                        StageChange{Stage::kUnspecified, Stage::kUnspecified, absl::ZeroDuration(),
                                    reason, rep_id});
}

absl::Status SqlSalesTx::RecordStageChange(const std::string& opportunity_id, absl::Time time,
                                           const StageChange& change) {
  return AppendTimeline(opportunity_id, time, TimelineEntry::Kind::kStageChange, "", change);
}

absl::StatusOr<TimelinePage> SqlSalesTx::ListTimeline(const std::string& opportunity_id,
                                                      const TimelineCursor& after, int limit) {
  absl::StatusOr<Statement> q = tx_.Prepare(absl::StrCat(
      kTimelineSelect,
      " WHERE t.opportunity_id = ?1 AND (t.time_us > ?2 OR (t.time_us = ?2 AND t.seq > ?3))"
      " ORDER BY t.time_us, t.seq LIMIT ?4"));
  if (!q.ok()) return q.status();
  const int64_t after_us = after.time == absl::InfinitePast() ? std::numeric_limits<int64_t>::min()
                                                              : absl::ToUnixMicros(after.time);
  q->Bind(1, opportunity_id).Bind(2, after_us).Bind(3, after.seq).Bind(4, int64_t{limit + 1});
  TimelinePage page;
  TimelineCursor last;
  while (true) {
    absl::StatusOr<bool> row = q->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    if (static_cast<int>(page.entries.size()) == limit) {
      page.next = last;
      break;
    }
    page.entries.push_back(ReadTimelineEntry(*q, opportunity_id));
    last = TimelineCursor{page.entries.back().time, q->Int(0)};
  }
  return page;
}

absl::Status SqlSalesTx::InsertActivity(const Activity& a) {
  if (absl::Status s = AppendTimeline(a.opportunity_id, a.time, TimelineEntry::Kind::kActivity,
                                      a.id, StageChange{});
      !s.ok()) {
    return s;
  }
  absl::StatusOr<Statement> q = tx_.Prepare(
      "INSERT INTO activities(id, opportunity_id, type, call_outcome, meeting_status, summary,"
      " next_step, next_step_due_us, time_us, rep_id, performed_by, version, update_us)"
      " VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)");
  if (!q.ok()) return q.status();
  q->Bind(1, a.id)
      .Bind(2, a.opportunity_id)
      .Bind(3, int64_t{static_cast<int>(a.type)})
      .Bind(4, int64_t{static_cast<int>(a.call_outcome)})
      .Bind(5, int64_t{static_cast<int>(a.meeting_status)})
      .Bind(6, a.summary)
      .Bind(7, a.next_step)
      .BindOptionalTime(8, a.next_step_due)
      .BindTime(9, a.time)
      .Bind(10, a.rep_id)
      .Bind(11, a.performed_by)
      .Bind(12, a.version)
      .BindTime(13, a.update_time);
  return q->Run();
}

namespace {

constexpr char kActivityColumns[] =
    "seq, id, opportunity_id, type, call_outcome, meeting_status, summary, next_step,"
    " next_step_due_us, time_us, rep_id, performed_by, version, update_us";

Activity ReadActivity(const Statement& r) {
  Activity a;
  a.id = r.Text(1);
  a.opportunity_id = r.Text(2);
  a.type = static_cast<ActivityType>(r.Int(3));
  a.call_outcome = static_cast<CallOutcome>(r.Int(4));
  a.meeting_status = static_cast<MeetingStatus>(r.Int(5));
  a.summary = r.Text(6);
  a.next_step = r.Text(7);
  a.next_step_due = r.OptionalTime(8);
  a.time = r.Time(9);
  a.rep_id = r.Text(10);
  a.performed_by = r.Text(11);
  a.version = r.Int(12);
  a.update_time = r.Time(13);
  return a;
}

}  // namespace

absl::StatusOr<Activity> SqlSalesTx::GetActivity(const std::string& opportunity_id, const std::string& activity_id) {
  absl::StatusOr<Statement> q = tx_.Prepare(
      absl::StrCat("SELECT ", kActivityColumns, " FROM activities WHERE id = ? AND opportunity_id = ?"));
  if (!q.ok()) return q.status();
  q->Bind(1, activity_id).Bind(2, opportunity_id);
  return sql::ReadOne<Activity>(*q, ReadActivity,
                                absl::StrCat("opportunities/", opportunity_id, "/activities/", activity_id));
}

absl::Status SqlSalesTx::UpdateActivity(const Activity& a) {
  absl::StatusOr<Statement> q = tx_.Prepare(
      "UPDATE activities SET call_outcome = ?, meeting_status = ?, summary = ?, next_step = ?,"
      " next_step_due_us = ?, version = ?, update_us = ? WHERE id = ? AND opportunity_id = ?");
  if (!q.ok()) return q.status();
  q->Bind(1, int64_t{static_cast<int>(a.call_outcome)})
      .Bind(2, int64_t{static_cast<int>(a.meeting_status)})
      .Bind(3, a.summary)
      .Bind(4, a.next_step)
      .BindOptionalTime(5, a.next_step_due)
      .Bind(6, a.version)
      .BindTime(7, a.update_time)
      .Bind(8, a.id)
      .Bind(9, a.opportunity_id);
  return sql::RunOnOneRow(tx_, *q, absl::StrCat("opportunities/", a.opportunity_id, "/activities/", a.id));
}

absl::StatusOr<Page<Activity>> SqlSalesTx::ListActivities(const std::string& opportunity_id, int64_t after,
                                                          int limit) {
  absl::StatusOr<Statement> q = tx_.Prepare(
      absl::StrCat("SELECT ", kActivityColumns, " FROM activities WHERE opportunity_id = ? AND seq > ?"
                   " ORDER BY seq LIMIT ?"));
  if (!q.ok()) return q.status();
  q->Bind(1, opportunity_id).Bind(2, after).Bind(3, int64_t{limit + 1});
  return sql::ReadPage<Activity>(*q, limit, ReadActivity);
}

absl::Status SqlSalesTx::AppendTimeline(const std::string& opportunity_id, absl::Time time,
                                        TimelineEntry::Kind kind, const std::string& activity_id,
                                        const StageChange& c) {
  absl::StatusOr<Statement> q = tx_.Prepare(
      "INSERT INTO timeline(opportunity_id, time_us, kind, activity_id, from_stage, to_stage,"
      " time_in_from_us, rep_id, reason) VALUES(?,?,?,?,?,?,?,?,?)");
  if (!q.ok()) return q.status();
  return q->Bind(1, opportunity_id)
      .BindTime(2, time)
      .Bind(3, int64_t{static_cast<int>(kind)})
      .Bind(4, activity_id)
      .Bind(5, int64_t{static_cast<int>(c.from)})
      .Bind(6, int64_t{static_cast<int>(c.to)})
      .Bind(7, absl::ToInt64Microseconds(c.time_in_from))
      .Bind(8, c.rep_id)
      .Bind(9, c.reason)
      .Run();
}

}  // namespace handoff::sales
