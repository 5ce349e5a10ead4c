// One module resolution's type check in a worker thread: the consumer check's two TypeScript
// programs run side by side, one per CPU, instead of one after the other.
import { parentPort, workerData } from 'node:worker_threads';
import { typeProblems } from './check-consumers-types.js';

const { dir, resolution } = workerData as { dir: string; resolution: 'nodenext' | 'bundler' };
parentPort?.postMessage(typeProblems(dir, resolution));
