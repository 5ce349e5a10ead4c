// Answering an invoke in time: the work's outcome if it comes within the budget, else what is known then.

/** `work`'s result if it settles within `budgetMs`, otherwise `late()`'s; the work goes on either way. */
export async function withinBudget<T>(
  work: Promise<T>,
  budgetMs: number,
  late: () => Promise<T>,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), budgetMs);
  });
  try {
    return (await Promise.race([work, expired])) ?? (await late());
  } finally {
    clearTimeout(timer);
  }
}
