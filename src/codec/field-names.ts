/**
 * Well-known feature/field names, written as msgpack positive fixints (one
 * byte) instead of strings in map keys. JS object keys are always strings, so an
 * integer map key in a body unambiguously means "entry N of this table".
 *
 * APPEND-ONLY and tied to the format version: entry N must keep its name
 * forever. A new name is appended together with a new format version, whose
 * entry in FIELD_TABLE_LENGTH says how many entries its records may use, so an
 * older reader rejects (CORRUPT_RECORD) instead of mis-reading a newer record.
 * At most 128 entries (the positive fixint range).
 */
export const FIELD_NAMES: readonly string[] = Object.freeze([
  // 0..20: the names of the seed system and the issue
  'fast',
  'orb',
  'avg_color_features',
  'ahash_features',
  'keypoints_count',
  'descriptors_shape',
  'descriptors',
  'keypoints',
  'embedding',
  'phash',
  'dhash',
  'ahash',
  'avg_color',
  'histogram',
  'width',
  'height',
  'format',
  'color_features',
  'clip',
  'sift',
  'hog',
  // 21..: common companions
  'whash',
  'colorhash',
  'phash_features',
  'dhash_features',
  'histogram_features',
  'edge_features',
  'texture_features',
  'dominant_colors',
  'color_histogram',
  'hsv_histogram',
  'lbp',
  'gist',
  'surf',
  'akaze',
  'brisk',
  'kaze',
  'dino',
  'resnet',
  'vgg',
  'model',
  'dim',
  'shape',
  'dtype',
  'data',
  'values',
  'count',
  'size',
  'bytes',
  'channels',
  'mean',
  'std',
  'min',
  'max',
  'entropy',
  'aspect_ratio',
  'version',
  'algorithm',
  'hash',
  'bits',
  'score',
  'scores',
  'labels',
  'bbox',
  'x',
  'y',
  'angle',
  'response',
  'octave',
  'exif',
  'mime',
  'orientation',
]);

/** Number of FIELD_NAMES entries each format version may reference. */
export const FIELD_TABLE_LENGTH: Readonly<Record<number, number>> = Object.freeze({ 1: 72 });

/** name -> id, for the encoder. */
export const FIELD_IDS: ReadonlyMap<string, number> = new Map(FIELD_NAMES.map((name, id) => [name, id]));
