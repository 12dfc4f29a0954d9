// WriteGate: PostgreSQL's admission of one process's write transactions.

#include "common/postgres/write_gate.h"

#include <atomic>
#include <thread>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace handoff::postgres {
namespace {

TEST(WriteGate, LetsInUpToItsWritersSideBySide) {
  WriteGate gate(2);
  EXPECT_TRUE(gate.Enter(false, absl::Seconds(1)));
  EXPECT_TRUE(gate.Enter(false, absl::Seconds(1)));
  EXPECT_FALSE(gate.Enter(false, absl::Milliseconds(50))) << "a third got in beside two";
  gate.Leave(false);
  EXPECT_TRUE(gate.Enter(false, absl::Milliseconds(50)));
  gate.Leave(false);
  gate.Leave(false);
}

TEST(WriteGate, OneAloneWaitsForThoseRunningAndKeepsNewOnesOut) {
  WriteGate gate(3);
  ASSERT_TRUE(gate.Enter(false, absl::Seconds(1)));
  std::atomic<bool> alone_in{false};
  absl::Notification waiting;
  std::thread alone([&] {
    waiting.Notify();
    ASSERT_TRUE(gate.Enter(true, absl::Seconds(5)));
    alone_in = true;
    absl::SleepFor(absl::Milliseconds(100));
    alone_in = false;
    gate.Leave(true);
  });
  waiting.WaitForNotification();
  absl::SleepFor(absl::Milliseconds(100));
  EXPECT_FALSE(alone_in.load()) << "ran alone beside a running transaction";
  // While it waits, a newcomer is kept out although two places are free.
  EXPECT_FALSE(gate.Enter(false, absl::Milliseconds(50)));
  gate.Leave(false);
  // Once it is in, nothing else is; once it is out, everything is again.
  absl::SleepFor(absl::Milliseconds(20));
  EXPECT_TRUE(alone_in.load());
  EXPECT_FALSE(gate.Enter(false, absl::Milliseconds(20)));
  EXPECT_FALSE(gate.Enter(true, absl::Milliseconds(20)));
  alone.join();
  EXPECT_TRUE(gate.Enter(false, absl::Milliseconds(50)));
  EXPECT_TRUE(gate.Enter(false, absl::Milliseconds(50)));
  gate.Leave(false);
  gate.Leave(false);
}

TEST(WriteGate, OneWriterIsOneAtATimeEitherWay) {
  WriteGate gate(1);
  ASSERT_TRUE(gate.Enter(false, absl::Seconds(1)));
  EXPECT_FALSE(gate.Enter(false, absl::Milliseconds(20)));
  EXPECT_FALSE(gate.Enter(true, absl::Milliseconds(20)));
  gate.Leave(false);
  ASSERT_TRUE(gate.Enter(true, absl::Seconds(1)));
  EXPECT_FALSE(gate.Enter(false, absl::Milliseconds(20)));
  gate.Leave(true);
  EXPECT_EQ(WriteGate(0).writers(), 1);
}

}  // namespace
}  // namespace handoff::postgres
