#!/usr/bin/env bash
# Configures and builds Handoff (Release unless BUILD_TYPE says otherwise) into build/.
# Two jobs by default (JOBS to change): the machines this runs on have two cores.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${BUILD_DIR:-build}
echo "build: configuring ${build_dir} (${BUILD_TYPE:-Release})"
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-Release}" ${CMAKE_ARGS:-} >/dev/null
echo "build: compiling with ${JOBS:-2} jobs"
cmake --build "$build_dir" -j "${JOBS:-2}"
