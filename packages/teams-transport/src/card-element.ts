// The JSON shape of an Adaptive Card element or action, shared by the card and its parts.

/** An Adaptive Card element or action, as JSON. */
export type CardElement = { readonly type: string } & Readonly<Record<string, unknown>>;
