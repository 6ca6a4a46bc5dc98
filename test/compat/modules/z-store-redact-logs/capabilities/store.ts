import { Capability, Log } from "pepr";

export const HelloPeprStoreRedactLogs = new Capability({
  name: "z-store-redact-logs",
  description: "writes a secret into the Store and removes it again",
});

const { Store } = HelloPeprStoreRedactLogs;

const until = async (done: () => boolean) => {
  for (let tries = 0; tries < 200 && !done(); tries++) await new Promise((resolve) => setTimeout(resolve, 100));
};

Store.onReady(async () => {
  const [key, value] = ["password", "***SECRET***"];
  Log.debug("debug logging is on");
  Store.clear();
  await Store.setItemAndWait(key, value);
  const stored = Store.getItem(key);
  // The module logs a changed copy, so the test knows the value was read back.
  Log.info({ password: stored.replace("SECRET", "DECLASSIFIED") }, "getItem");
  Store.clear();
  await until(() => !Store.getItem(key));
  Log.info(Store.getItem(key) === null ? "DONE" : "NOT REMOVED");
});
