// Peer comparison `xgboost` (bench/peers/README.md): crsim's tree-ensemble engine against XGBoost's
// own predict, in the same process, on the same rows and the same models.
//
//   crsim_xgboost_peer [--rows N] [--train-rows N] [--reps R] [--threads 1,2] [--small]
//
// Trains two binary:logistic models with XGBoost's C API (hist, 256 bins, eta 0.1) on
// --train-rows (default 50000) synthetic rows of 16 features with 5% NaN: 200 trees of depth 6 and
// 500 trees of depth 8 (--small: 20 x 6 and 50 x 8 on 2000 rows, for the smoke test). Saves each as JSON and loads it with
// crsim::data::ParseXgboostJsonModel (XGBoost keeps its trained booster). Then scores the same
// --rows rows (row-major, 16 features, 5% NaN, another seed) with
//   - XGBoost: XGBoosterPredictFromDense (in-place predict, no DMatrix, output margin) with
//     nthread = T;
//   - crsim: kernels::PredictMarginParallel on a RowMajorView of the same buffer, under
//     tbb::global_control(max_allowed_parallelism = T);
// for each T of --threads, median of --reps timed calls each (one untimed warm-up call per side).
// Checks that the margins agree (crsim's are bit-identical to XGBoost's in every run so far; the
// program fails if any differs by more than 1e-6 relative) and prints one JSON object on stdout:
//   {"rows": N, "reps": R, "steps": {"trees200_depth6/threads:1": {"crsim_rows_per_s",
//    "peer_rows_per_s", "ratio", "threads", "margins_differing", "max_rel_diff",
//    "crsim_rows_per_cpu_s", "peer_rows_per_cpu_s", "cpu_ratio"}, ...}}
// and a table on stderr. The per-CPU-second figures divide by the process CPU time of the call
// (median): at 1 thread they estimate the idle-machine speed when the machine is loaded; at 2
// threads they also count time threads spend spinning.
#include <tbb/global_control.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "crsim/data/xgboost_model.h"
#include "crsim/kernels/tree_ensemble.h"
#include "xgboost_training.h"

namespace {

using crsim::testing::XgbBooster;

constexpr std::size_t kFeatures = 16;

double Seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// CPU time of the whole process (all threads): on a loaded machine a 1-thread call's CPU time is
// close to what its wall time would be on an idle one.
double ProcessCpuSeconds() {
  timespec now{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + 1e-9 * static_cast<double>(now.tv_nsec);
}

struct Timing {
  double wall = 0.0;  // median wall seconds per call
  double cpu = 0.0;   // median process CPU seconds per call
};

template <class Body>
Timing MedianSeconds(int reps, const Body& body) {
  body();  // warm-up, untimed
  std::vector<double> walls, cpus;
  for (int r = 0; r < reps; ++r) {
    const double cpu_start = ProcessCpuSeconds();
    const double start = Seconds();
    body();
    walls.push_back(Seconds() - start);
    cpus.push_back(ProcessCpuSeconds() - cpu_start);
  }
  std::sort(walls.begin(), walls.end());
  std::sort(cpus.begin(), cpus.end());
  return {walls[walls.size() / 2], cpus[cpus.size() / 2]};
}

[[noreturn]] void Usage(const char* message) {
  std::fprintf(stderr, "crsim_xgboost_peer: %s\nusage: crsim_xgboost_peer [--rows N] [--train-rows N] [--reps R] "
                       "[--threads 1,2] [--small]\n", message);
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t rows = 1000000;
  std::size_t train_rows = 0;  // 0: 50000, or 2000 with --small
  int reps = 3;
  std::vector<int> thread_counts{1, 2};
  bool small = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const auto value = [&]() -> std::string {
      if (i + 1 >= argc) Usage(("missing value after " + arg).c_str());
      return argv[++i];
    };
    if (arg == "--rows") {
      rows = std::strtoull(value().c_str(), nullptr, 10);
    } else if (arg == "--train-rows") {
      train_rows = std::strtoull(value().c_str(), nullptr, 10);
    } else if (arg == "--reps") {
      reps = std::atoi(value().c_str());
    } else if (arg == "--threads") {
      thread_counts.clear();
      std::string list = value();
      for (std::size_t start = 0; start < list.size();) {
        const std::size_t comma = std::min(list.find(',', start), list.size());
        thread_counts.push_back(std::atoi(list.substr(start, comma - start).c_str()));
        start = comma + 1;
      }
    } else if (arg == "--small") {
      small = true;
    } else {
      Usage(("unknown argument " + arg).c_str());
    }
  }
  if (train_rows == 0) train_rows = small ? 2000 : 50000;
  if (rows == 0 || train_rows < 100 || reps < 1 || thread_counts.empty() ||
      *std::min_element(thread_counts.begin(), thread_counts.end()) < 1) {
    Usage("need --rows >= 1, --train-rows >= 100, --reps >= 1, thread counts >= 1");
  }

  struct ModelSpec {
    int trees;
    int depth;
  };
  const std::vector<ModelSpec> specs = small ? std::vector<ModelSpec>{{20, 6}, {50, 8}}
                                             : std::vector<ModelSpec>{{200, 6}, {500, 8}};
  const auto train = crsim::testing::MakeLabelledData(train_rows, kFeatures, 0.05f, 2026);
  const auto score = crsim::testing::MakeLabelledData(rows, kFeatures, 0.05f, 7);
  const crsim::kernels::TreeInputView view = crsim::kernels::RowMajorView(score.x.data(), rows, kFeatures);
  std::vector<float> margin(rows);

  std::string json = "{\"rows\": " + std::to_string(rows) + ", \"reps\": " + std::to_string(reps) + ", \"steps\": {";
  bool first = true;
  int failures = 0;
  std::fprintf(stderr, "| model | threads | crsim rows/s | xgboost rows/s | ratio | margins differing |\n"
                       "| --- | ---: | ---: | ---: | ---: | ---: |\n");
  for (const ModelSpec& spec : specs) {
    const double train_start = Seconds();
    XgbBooster booster(train.x, train_rows, kFeatures, train.y,
                       {{"objective", "binary:logistic"}, {"tree_method", "hist"}, {"max_depth", std::to_string(spec.depth)},
                        {"eta", "0.1"}, {"nthread", "2"}, {"seed", "1"}},
                       spec.trees);
    const crsim::kernels::TreeEnsemble model = crsim::data::ParseXgboostJsonModel(booster.SaveJson(), "<xgboost buffer>");
    const auto summary = crsim::kernels::SummarizeTreeEnsemble(model);
    std::fprintf(stderr, "crsim_xgboost_peer: trained %d trees of depth %d in %.1f s: %zu leaves, %zu distinct thresholds, "
                         "u%zu bins\n", spec.trees, spec.depth, Seconds() - train_start, summary.leaves,
                 summary.distinct_thresholds, summary.bin_bits);
    for (const int threads : thread_counts) {
      booster.SetParam("nthread", std::to_string(threads));
      const Timing peer_time = MedianSeconds(reps, [&] { booster.PredictInPlace(score.x.data(), rows, kFeatures, true); });
      const float* peer_margin = booster.PredictInPlace(score.x.data(), rows, kFeatures, true);
      Timing crsim_time;
      {
        tbb::global_control limit(tbb::global_control::max_allowed_parallelism, static_cast<std::size_t>(threads));
        crsim_time = MedianSeconds(reps, [&] { crsim::kernels::PredictMarginParallel(model, view, margin); });
      }
      std::size_t differing = 0;
      double max_rel = 0.0;
      for (std::size_t i = 0; i < rows; ++i) {
        if (margin[i] == peer_margin[i]) continue;
        ++differing;
        const double rel = std::fabs(static_cast<double>(margin[i]) - peer_margin[i]) /
                           std::max(1e-30, std::fabs(static_cast<double>(peer_margin[i])));
        max_rel = std::max(max_rel, rel);
      }
      if (max_rel > 1e-6) ++failures;
      const double crsim_rate = static_cast<double>(rows) / crsim_time.wall;
      const double peer_rate = static_cast<double>(rows) / peer_time.wall;
      const double crsim_cpu_rate = static_cast<double>(rows) / crsim_time.cpu;
      const double peer_cpu_rate = static_cast<double>(rows) / peer_time.cpu;
      const std::string step = "trees" + std::to_string(spec.trees) + "_depth" + std::to_string(spec.depth) +
                               "/threads:" + std::to_string(threads);
      std::fprintf(stderr, "| %s | %d | %.3f M | %.3f M | %.1fx | %zu (max rel %.2g) | per CPU-second: %.3f M / %.3f M = %.1fx |\n",
                   step.c_str(), threads, crsim_rate / 1e6, peer_rate / 1e6, crsim_rate / peer_rate, differing, max_rel,
                   crsim_cpu_rate / 1e6, peer_cpu_rate / 1e6, crsim_cpu_rate / peer_cpu_rate);
      char buffer[768];
      std::snprintf(buffer, sizeof buffer,
                    "%s\"%s\": {\"crsim_rows_per_s\": %.6g, \"peer_rows_per_s\": %.6g, \"ratio\": %.6g, "
                    "\"threads\": %d, \"margins_differing\": %zu, \"max_rel_diff\": %.3g, "
                    "\"crsim_rows_per_cpu_s\": %.6g, \"peer_rows_per_cpu_s\": %.6g, \"cpu_ratio\": %.6g}",
                    first ? "" : ", ", step.c_str(), crsim_rate, peer_rate, crsim_rate / peer_rate, threads, differing,
                    max_rel, crsim_cpu_rate, peer_cpu_rate, crsim_cpu_rate / peer_cpu_rate);
      json += buffer;
      first = false;
    }
  }
  json += "}}";
  std::printf("%s\n", json.c_str());
  if (failures > 0) {
    std::fprintf(stderr, "crsim_xgboost_peer: crsim's margins differ from XGBoost's by more than 1e-6 relative\n");
    return 1;
  }
  return 0;
}
