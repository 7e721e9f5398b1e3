/** The stage process supervisor through the Python launcher (`stage-launcher-python.ts`), the default where Python 3.9+ runs. */
import { supervisorCases } from './process-cases.js';

supervisorCases('python');
