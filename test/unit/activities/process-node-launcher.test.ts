/** The stage process supervisor through the Node launcher (`stage-launcher-program.ts`), used where the worker has no usable Python. */
import { supervisorCases } from './process-cases.js';

supervisorCases('node');
