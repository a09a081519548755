#!/usr/bin/env node
// Before anything else loads, and loading the program takes a while: until SIGUSR1 and SIGUSR2
// have listeners, Node gives them its own meanings (src/grpc/log-level-signals.ts says which).
import '../grpc/log-level-signals.js';

await import('./tapa-program.js');
