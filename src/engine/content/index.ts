export type { BlobInfo, ByteSource, ContentStore, FileContentStoreOptions, IngestExpectation } from './content-store';
export { FileContentStore } from './content-store';
