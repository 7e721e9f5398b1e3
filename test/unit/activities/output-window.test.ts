/** The heartbeat's output window: lines, the line counter, bounds, masking across chunks. */
import { describe, expect, it } from 'vitest';
import { OUTPUT_LINE_CHARS, OutputWindow } from '../../../src/activities/output-window.js';
import { SecretStore } from '../../../src/activities/secrets.js';

const masker = () => new SecretStore({ values: { TOKEN: 's3cr3t-value' } }).masker();

describe('OutputWindow', () => {
  it('splits chunks into lines across chunk boundaries and counts every line', () => {
    const w = new OutputWindow(masker());
    w.push('stdout', Buffer.from('one\ntw'));
    w.push('stdout', Buffer.from('o\nthree'));
    expect(w.snapshot()).toEqual({
      seq: 2,
      lines: [
        ['stdout', 'one'],
        ['stdout', 'two'],
      ],
    });
    w.push('stderr', 'oops\n');
    w.end();
    expect(w.snapshot()).toEqual({
      seq: 4,
      lines: [
        ['stdout', 'one'],
        ['stdout', 'two'],
        ['stderr', 'oops'],
        ['stdout', 'three'],
      ],
    });
  });

  it('keeps the newest lines only, and the counter tells how many there were', () => {
    const w = new OutputWindow(masker(), 3);
    for (let i = 1; i <= 10; i++) w.push('stdout', `line ${i}\n`);
    expect(w.snapshot()).toEqual({
      seq: 10,
      lines: [
        ['stdout', 'line 8'],
        ['stdout', 'line 9'],
        ['stdout', 'line 10'],
      ],
    });
  });

  it('masks a secret split across two chunks', () => {
    const w = new OutputWindow(masker());
    w.push('stdout', Buffer.from('token=s3cr3t-'));
    w.push('stdout', Buffer.from('value done\n'));
    w.push('log', 'a task logged s3cr3t-value');
    w.end();
    const text = JSON.stringify(w.snapshot());
    expect(text).not.toContain('s3cr3t');
    expect(w.snapshot().lines).toEqual([
      ['stdout', 'token=*** done'],
      ['log', 'a task logged ***'],
    ]);
  });

  it('shows what a carriage return redraws last, and cuts long lines', () => {
    const w = new OutputWindow(masker());
    w.push('stdout', '10%\r50%\r100%\n');
    w.push('stdout', `${'x'.repeat(OUTPUT_LINE_CHARS + 50)}\n`);
    const [progress, long] = w.snapshot().lines;
    expect(progress).toEqual(['stdout', '100%']);
    expect(long![1]).toHaveLength(OUTPUT_LINE_CHARS);
    expect(long![1].endsWith('…')).toBe(true);
  });

  it('a line that never ends still shows, in pieces', () => {
    const w = new OutputWindow(new SecretStore({}).masker());
    w.push('stdout', 'y'.repeat(OUTPUT_LINE_CHARS * 5));
    expect(w.snapshot().seq).toBeGreaterThan(0);
  });
});
