#!/usr/bin/env node
// `node services/projector/dist/bin.js`: the projector as a process (configuration from the environment).
import { runProjectorService } from './main.js';

const service = await runProjectorService();
await service.done;
