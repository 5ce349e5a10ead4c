// Reads an exported audit log byte for byte and verifies its chain; a log that is not UTF-8 text is an input error.
import { VerifyFailure, type VerifyOptions, type VerifyResult, verifyAuditLog } from '@countersign/core';
import { inputError } from './exit-codes.js';
import { readBytes } from './read-input.js';

export interface AuditLog {
  chain: VerifyResult;
  /**
   * The log as text, to show and to check checkpoints against. Past a line the chain failed at,
   * bytes that are not UTF-8 show as U+FFFD: only what verified is relied on.
   */
  text: string;
}

export async function readAuditLog(path: string, options: VerifyOptions = {}): Promise<AuditLog> {
  const bytes = await readBytes(path, 'audit log');
  const chain = verifyAuditLog(bytes, options);
  if (!chain.ok && (chain.code === VerifyFailure.NotUtf8 || chain.code === VerifyFailure.ByteOrderMark)) {
    throw inputError(`audit log ${path} is not UTF-8 text without a byte order mark: ${chain.problem}`);
  }
  return { chain, text: new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes) };
}
