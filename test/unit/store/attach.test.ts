import { describe, expect, it } from "vitest";
import { Capability } from "../../../src/model/capability.ts";
import { attachCapabilityStores } from "../../../src/store/attach.ts";
import { MemoryStore } from "../../../src/store/memory-store.ts";

describe("attachCapabilityStores", () => {
  it("gives each capability its own Store and schedule view of one module store", async () => {
    const backend = new MemoryStore();
    const one = new Capability({ name: "one", description: "" });
    const two = new Capability({ name: "two", description: "" });
    const views = attachCapabilityStores(backend, [one, two]);
    await one.Store.setItemAndWait("k", "1");
    await two.Store.setItemAndWait("k", "2");
    await views.get("one")?.schedules.setItemAndWait("job", "{}");
    expect([one.Store.getItem("k"), two.Store.getItem("k"), one.ScheduleStore.getItem("job")]).toEqual([
      "1",
      "2",
      "{}",
    ]);
    expect(backend.snapshot("one")).toEqual({ k: "1" });
    expect(backend.snapshot("schedule:one")).toEqual({ job: "{}" });
    expect(() => attachCapabilityStores(backend, [one])).toThrow("Store already registered for one");
  });
});
