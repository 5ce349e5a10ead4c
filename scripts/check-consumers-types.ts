// The consumer check's type half: the consumer project's programs compiled as `tsc --strict` would,
// reporting what is wrong in them and in the installed @countersign declarations. Other packages'
// declarations are read but not checked: several (ai, @openai/agents) need the DOM library, which
// a Node consumer does not load, and their faults are not ours to report.
import { relative } from 'node:path';
import { Worker } from 'node:worker_threads';
import ts from 'typescript';
import { consumerTsconfig } from './check-consumers-programs.js';

/** Whether a file is one the check answers for: a program of the consumer's, or one of ours it installed. */
export function isChecked(fileName: string): boolean {
  return fileName.includes('/node_modules/@countersign/') || !fileName.includes('/node_modules/');
}

/** The diagnostics, as tsc prints them, of one module resolution over the consumer project in `dir`. */
export function typeProblems(dir: string, resolution: 'nodenext' | 'bundler'): string[] {
  const parsed = ts.parseJsonConfigFileContent(consumerTsconfig(resolution), ts.sys, dir);
  if (parsed.errors.length > 0) return parsed.errors.map((error) => format(error, dir));
  const program = ts.createProgram({ rootNames: parsed.fileNames, options: parsed.options });
  const diagnostics: ts.Diagnostic[] = [
    ...program.getOptionsDiagnostics(),
    ...program.getGlobalDiagnostics(),
  ];
  for (const file of program.getSourceFiles()) {
    if (!isChecked(file.fileName)) continue;
    diagnostics.push(...program.getSyntacticDiagnostics(file), ...program.getSemanticDiagnostics(file));
  }
  return diagnostics.map((diagnostic) => format(diagnostic, dir));
}

function format(diagnostic: ts.Diagnostic, dir: string): string {
  const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
  if (diagnostic.file === undefined || diagnostic.start === undefined)
    return `error TS${diagnostic.code}: ${message}`;
  const { line, character } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start);
  const where = `${relative(dir, diagnostic.file.fileName)}(${line + 1},${character + 1})`;
  return `${where}: error TS${diagnostic.code}: ${message}`;
}

/** `typeProblems` in a worker thread (check-consumers-worker.ts), so that several run at once. */
export function typeProblemsInWorker(dir: string, resolution: 'nodenext' | 'bundler'): Promise<string[]> {
  return new Promise((done, reject) => {
    const worker = new Worker(new URL('./check-consumers-worker.ts', import.meta.url), {
      workerData: { dir, resolution },
    });
    worker.once('message', (problems: string[]) => done(problems));
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (code !== 0) reject(new Error(`the ${resolution} type check's worker exited with ${code}`));
    });
  });
}
