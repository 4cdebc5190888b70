/**
 * An example ftpkit filesystem: read-only documents generated on demand by functions.
 *
 * @packageDocumentation
 */
export {
  type DocumentNode,
  type DocumentOptions,
  type DocumentSource,
  DocumentTree,
  documentPath,
  type TreeNode,
} from './document-tree.js';
export {
  VirtualDocumentsFileSystem,
  type VirtualDocumentsOptions,
  virtualDocumentsFileSystem,
} from './virtual-documents-file-system.js';
