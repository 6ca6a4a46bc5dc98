/**
 * Label on every object of a sharded controller: the shard (replica id) that reconciles it. The
 * assigner writes it, and so does the module's label webhook on CREATE and UPDATE of an unlabelled object.
 */
export const SHARD_LABEL = "capstan.dev/shard";
