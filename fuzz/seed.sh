#!/bin/sh
# Seeds the fuzz corpus with every fixture (valid and refused .npy files).
set -e
cd "$(dirname "$0")"
mkdir -p corpus/npy_read
cp ../tests/fixtures/arrays/*.npy ../tests/fixtures/refused/*.npy corpus/npy_read/
