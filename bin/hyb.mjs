#!/usr/bin/env node
// Runs the TypeScript CLI through tsx, so metric files load as they are written.
import { register } from 'tsx/esm/api';

register();
await import('../compiler/cli.ts');
