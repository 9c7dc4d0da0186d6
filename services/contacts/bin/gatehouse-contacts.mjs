#!/usr/bin/env node
// Runs the bundled CLI when it is fresh, else the TypeScript sources through tsx (scripts/bin-shim.mjs).
import { runBin } from '../../../scripts/bin-shim.mjs';

await runBin(new URL('../', import.meta.url));
