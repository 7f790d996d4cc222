// The page-size rule lives with the reads (read/page-size.ts); Pothos connections take it from here.
import { assertPageSize, DEFAULT_PAGE_SIZE } from "../read/page-size.ts";

export { assertPageSize, DEFAULT_PAGE_SIZE, firstPageSize, MAX_PAGE_SIZE, type PageArgs } from "../read/page-size.ts";

/** Spread into every Pothos prisma connection field. */
export const pageSizeOptions = { defaultSize: DEFAULT_PAGE_SIZE, maxSize: assertPageSize } as const;
