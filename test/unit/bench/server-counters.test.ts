import { describe, expect, it } from 'vitest';
import { parseCounters, perRun } from '../../../bench/server-counters.js';

const METRICS = `# HELP persistence_requests Persistence requests
# TYPE persistence_requests counter
persistence_requests{namespace="default",operation="UpdateWorkflowExecution",service_name="history"} 30
persistence_requests{namespace="temporal-system",operation="UpdateWorkflowExecution",service_name="history"} 4
persistence_requests{operation="GetNamespace",service_name="frontend"} 2
visibility_persistence_requests{operation="RecordWorkflowExecutionStarted",visibility_plugin_name="sqlite"} 1e+01
task_requests{namespace="default",operation="TransferActiveTaskWorkflowTask",task_type="TransferActiveTaskWorkflowTask"} 8
persistence_latency_count{operation="GetNamespace"} 99
`;

describe('parseCounters', () => {
  it('sums a counter over the label sets of one operation and skips other metrics', () => {
    expect(parseCounters(METRICS)).toEqual(
      new Map([
        ['persistence_requests UpdateWorkflowExecution', 34],
        ['persistence_requests GetNamespace', 2],
        ['visibility_persistence_requests RecordWorkflowExecutionStarted', 10],
        ['task_requests TransferActiveTaskWorkflowTask', 8],
      ]),
    );
  });
});

describe('perRun', () => {
  it('divides what moved by the runs and leaves out what did not', () => {
    const before = new Map([
      ['persistence_requests GetNamespace', 2],
      ['task_requests X', 5],
    ]);
    const after = new Map([
      ['persistence_requests GetNamespace', 12],
      ['task_requests X', 5],
      ['persistence_requests CreateWorkflowExecution', 10],
    ]);
    expect(perRun(before, after, 10)).toEqual(
      new Map([
        ['persistence_requests GetNamespace', 1],
        ['persistence_requests CreateWorkflowExecution', 1],
      ]),
    );
  });
});
