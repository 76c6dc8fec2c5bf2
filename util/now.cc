// NowMs() alone in its translation unit: a link-time seam for tests. The test-only
// `govledger-node-faulty` (tests/faults/) defines its own govledger::NowMs, a skewed clock, in
// its main program, so the linker never takes this object out of the static govledger_util
// archive for it; every other program, the production daemon included, gets this one.
#include <chrono>

#include "util/time.h"

namespace govledger {

int64_t NowMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace govledger
