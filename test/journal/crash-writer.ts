// Child process of the crash test: appends the deterministic sequence (helpers/journals.ts) to a journal, continuing
// from the records already there, until it is killed or reaches the target count.
//   node crash-writer.js JOURNAL TARGET [background]   (background: large records framed and written by the
//                                                       journal's background writer thread)

import { LogFileJournal } from '../../src/journal/log-file';
import { sequenceEntry } from '../helpers/journals';

const [file, target] = [process.argv[2], Number(process.argv[3])];
const background = process.argv[4] === 'background';
const j = LogFileJournal.openAppend(file, { background, backgroundAfter: 0 });
let i = j.opened.records;
if (background) {
  // Up to the next large record (it starts the writer thread), and until that thread has written it: the kills then
  // land while it works.
  while (i < target) {
    j.write(sequenceEntry(i++));
    if ((i - 1) % 50 === 49) break;
  }
  j.flush();
}
process.stdout.write(`ready ${i}\n`);
for (; i < target; i++) j.write(sequenceEntry(i));
j.close();
process.stdout.write('done\n');
