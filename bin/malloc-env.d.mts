export declare const BOUNDED_MALLOC_ENV: Readonly<Record<'MALLOC_MMAP_THRESHOLD_' | 'MALLOC_TRIM_THRESHOLD_', string>>;
export declare function withBoundedMalloc(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
