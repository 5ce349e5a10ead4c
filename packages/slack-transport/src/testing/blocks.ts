// Block Kit validation as the emulator applies it: block and modal shapes and their limits.
import { z } from 'zod';
import { SlackApiFailure } from './errors.js';
import { generatedElementId } from './ids.js';

/** A Block Kit block as stored by the emulator: JSON with at least a `type`. */
export type SlackBlock = { readonly type: string; readonly block_id?: string } & Readonly<
  Record<string, unknown>
>;

/** Block Kit limits, from Slack's Block Kit reference. */
const LIMITS = {
  messageBlocks: 50,
  modalBlocks: 100,
  blockId: 255,
  actionId: 255,
  actionsElements: 25,
  buttonText: 75,
  buttonValue: 2000,
  sectionText: 3000,
  sectionFields: 10,
  fieldText: 2000,
  headerText: 150,
  contextElements: 10,
  inputLabel: 2000,
  viewTitle: 24,
  privateMetadata: 3000,
  callbackId: 255,
} as const;

const plainText = (max: number) =>
  z.looseObject({
    type: z.literal('plain_text'),
    text: z.string().min(1).max(max),
    emoji: z.boolean().optional(),
  });

const textObject = (max: number) =>
  z.looseObject({
    type: z.enum(['plain_text', 'mrkdwn']),
    text: z.string().min(1).max(max),
    emoji: z.boolean().optional(),
    verbatim: z.boolean().optional(),
  });

const element = z.looseObject({
  type: z.string().min(1),
  action_id: z.string().min(1).max(LIMITS.actionId).optional(),
});

const button = z.looseObject({
  type: z.literal('button'),
  text: plainText(LIMITS.buttonText),
  action_id: z.string().min(1).max(LIMITS.actionId).optional(),
  value: z.string().max(LIMITS.buttonValue).optional(),
  url: z.string().max(3000).optional(),
  style: z.enum(['primary', 'danger']).optional(),
});

const blockBase = { type: z.string().min(1), block_id: z.string().min(1).max(LIMITS.blockId).optional() };

const blockSchemas: Readonly<Record<string, z.ZodType>> = {
  section: z
    .looseObject({
      ...blockBase,
      text: textObject(LIMITS.sectionText).optional(),
      fields: z.array(textObject(LIMITS.fieldText)).min(1).max(LIMITS.sectionFields).optional(),
      accessory: element.optional(),
    })
    .refine((block) => block.text !== undefined || block.fields !== undefined, {
      message: 'must provide either text or fields',
    }),
  actions: z.looseObject({ ...blockBase, elements: z.array(element).min(1).max(LIMITS.actionsElements) }),
  header: z.looseObject({ ...blockBase, text: plainText(LIMITS.headerText) }),
  divider: z.looseObject(blockBase),
  context: z.looseObject({ ...blockBase, elements: z.array(element).min(1).max(LIMITS.contextElements) }),
  input: z.looseObject({ ...blockBase, label: plainText(LIMITS.inputLabel), element }),
};

const anyBlock = z.looseObject(blockBase);

function pointer(path: readonly PropertyKey[]): string {
  return `/${path.map(String).join('/')}`;
}

function issuesToMessages(error: z.ZodError, prefix: readonly PropertyKey[]): string[] {
  return error.issues.map(
    (issue) => `[ERROR] ${issue.message} [json-pointer:${pointer([...prefix, ...issue.path])}]`,
  );
}

/** Parses a `blocks` argument: a JSON string (form bodies) or an array (JSON bodies). */
export function parseBlocksArgument(value: unknown): unknown[] {
  let parsed = value;
  if (typeof value === 'string') {
    try {
      parsed = JSON.parse(value);
    } catch {
      throw new SlackApiFailure('invalid_blocks_format');
    }
  }
  if (!Array.isArray(parsed)) throw new SlackApiFailure('invalid_blocks_format');
  return parsed;
}

/**
 * Validates blocks against the Block Kit rules the emulator knows (types of well-known blocks, text
 * lengths, element counts, unique `block_id`s, unique `action_id`s within a block) and fills in the
 * `block_id`/`action_id` values Slack generates when an app omits them. Unknown block types pass with
 * only `type` and `block_id` checked. Throws `invalid_blocks` with Slack-style `response_metadata`.
 */
export function normalizeBlocks(
  blocks: readonly unknown[],
  context: { readonly surface: 'message' | 'modal'; readonly pointer: string },
): SlackBlock[] {
  const max = context.surface === 'message' ? LIMITS.messageBlocks : LIMITS.modalBlocks;
  const messages: string[] = [];
  if (blocks.length > max) {
    messages.push(`[ERROR] no more than ${max} items allowed [json-pointer:/${context.pointer}]`);
  }
  const seenBlockIds = new Set<string>();
  const normalized: SlackBlock[] = [];
  blocks.forEach((raw, index) => {
    const at = [context.pointer, index];
    const base = anyBlock.safeParse(raw);
    if (!base.success) {
      messages.push(...issuesToMessages(base.error, at));
      return;
    }
    const schema = blockSchemas[base.data.type];
    const specific = schema?.safeParse(raw);
    if (specific !== undefined && !specific.success) {
      messages.push(...issuesToMessages(specific.error, at));
      return;
    }
    const block: Record<string, unknown> = structuredClone(base.data);
    const blockId = typeof block.block_id === 'string' ? block.block_id : generatedElementId();
    if (seenBlockIds.has(blockId)) {
      messages.push(`[ERROR] duplicate block_id "${blockId}" [json-pointer:${pointer([...at, 'block_id'])}]`);
      return;
    }
    seenBlockIds.add(blockId);
    block.block_id = blockId;
    messages.push(...assignActionIds(block, at));
    normalized.push(block as SlackBlock);
  });
  if (messages.length > 0) {
    throw new SlackApiFailure('invalid_blocks', { response_metadata: { messages } });
  }
  return normalized;
}

function assignActionIds(block: Record<string, unknown>, at: readonly PropertyKey[]): string[] {
  const interactive: [Record<string, unknown>, readonly PropertyKey[]][] = [];
  if (block.type === 'actions' && Array.isArray(block.elements)) {
    block.elements.forEach((el: unknown, index) => {
      if (isRecord(el)) interactive.push([el, [...at, 'elements', index]]);
    });
  }
  if (block.type === 'section' && isRecord(block.accessory)) {
    interactive.push([block.accessory, [...at, 'accessory']]);
  }
  if (block.type === 'input' && isRecord(block.element)) {
    interactive.push([block.element, [...at, 'element']]);
  }
  const messages: string[] = [];
  const seen = new Set<string>();
  for (const [el, path] of interactive) {
    if (el.type === 'button') {
      const parsed = button.safeParse(el);
      if (!parsed.success) messages.push(...issuesToMessages(parsed.error, path));
    }
    const actionId = typeof el.action_id === 'string' ? el.action_id : generatedElementId();
    if (seen.has(actionId)) {
      messages.push(`[ERROR] duplicate action_id "${actionId}" [json-pointer:${pointer(path)}]`);
    }
    seen.add(actionId);
    el.action_id = actionId;
  }
  return messages;
}

/** A modal as stored by the emulator after `views.open`. */
export interface ModalDefinition {
  readonly type: 'modal';
  readonly title: Readonly<Record<string, unknown>>;
  readonly blocks: SlackBlock[];
  readonly submit: Readonly<Record<string, unknown>> | null;
  readonly close: Readonly<Record<string, unknown>> | null;
  readonly callback_id: string;
  readonly private_metadata: string;
  readonly external_id: string;
  readonly clear_on_close: boolean;
  readonly notify_on_close: boolean;
}

const modalSchema = z.looseObject({
  type: z.literal('modal'),
  title: plainText(LIMITS.viewTitle),
  blocks: z.array(z.unknown()),
  submit: plainText(LIMITS.viewTitle).optional(),
  close: plainText(LIMITS.viewTitle).optional(),
  callback_id: z.string().max(LIMITS.callbackId).optional(),
  private_metadata: z.string().max(LIMITS.privateMetadata).optional(),
  external_id: z.string().max(255).optional(),
  clear_on_close: z.boolean().optional(),
  notify_on_close: z.boolean().optional(),
});

/**
 * Parses the `view` argument of `views.open` (a JSON string or an object). Shape errors are
 * `invalid_arguments` like in Slack; block errors are `invalid_blocks`.
 */
export function parseModal(value: unknown): ModalDefinition {
  let parsed = value;
  if (typeof value === 'string') {
    try {
      parsed = JSON.parse(value);
    } catch {
      throw new SlackApiFailure('invalid_arguments', {
        response_metadata: { messages: ['[ERROR] view must be a JSON-encoded object'] },
      });
    }
  }
  const result = modalSchema.safeParse(parsed);
  if (!result.success) {
    throw new SlackApiFailure('invalid_arguments', {
      response_metadata: { messages: issuesToMessages(result.error, ['view']) },
    });
  }
  const view = result.data;
  const blocks = normalizeBlocks(view.blocks, { surface: 'modal', pointer: 'view/blocks' });
  if (view.submit === undefined && blocks.some((block) => block.type === 'input')) {
    throw new SlackApiFailure('invalid_arguments', {
      response_metadata: {
        messages: ['[ERROR] must provide a submit property when using input blocks [json-pointer:/view]'],
      },
    });
  }
  return {
    type: 'modal',
    title: view.title,
    blocks,
    submit: view.submit ?? null,
    close: view.close ?? null,
    callback_id: view.callback_id ?? '',
    private_metadata: view.private_metadata ?? '',
    external_id: view.external_id ?? '',
    clear_on_close: view.clear_on_close ?? false,
    notify_on_close: view.notify_on_close ?? false,
  };
}

/** Narrows unknown JSON to a plain object. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
