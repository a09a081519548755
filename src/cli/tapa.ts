#!/usr/bin/env -S node --max-semi-space-size=4 --heap-growing-percent=20
// Before anything else loads, and loading the program takes a while: until SIGUSR1 and SIGUSR2
// have listeners, Node gives them its own meanings (src/grpc/log-level-signals.ts says which).
import '../grpc/log-level-signals.js';

await import('./tapa-program.js');
