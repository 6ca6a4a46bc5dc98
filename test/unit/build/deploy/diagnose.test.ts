import { describe, expect, it } from "vitest";
import { type KubeEvent, type LivePod, podProblem } from "../../../../src/build/deploy/diagnose.ts";

// The integration test sees one reason (no nodes); these are the others a real cluster shows, as
// the kubelet and the scheduler report them on the Pod.

const pod = (spec: LivePod["spec"], status: LivePod["status"]): LivePod => ({
  metadata: { name: "capstan-demo-admission-abc-x1", namespace: "capstan-system" },
  spec,
  status,
});
const onNode = { nodeName: "node-1" };

describe("podProblem", () => {
  it("names the scheduler's message, no nodes, or no scheduler", () => {
    const unschedulable = pod(
      {},
      {
        phase: "Pending",
        conditions: [
          { type: "PodScheduled", status: "False", message: "0/3 nodes are available: 3 Insufficient cpu." },
        ],
      },
    );
    expect(podProblem(unschedulable, 3, [])).toBe("unschedulable: 0/3 nodes are available: 3 Insufficient cpu.");
    expect(podProblem(pod({}, { phase: "Pending" }), 0, [])).toBe("unschedulable: the cluster has no nodes");
    expect(podProblem(pod({}, { phase: "Pending" }), 2, [])).toBe(
      "not scheduled yet: no scheduler has placed it on a node",
    );
  });

  it("names an image that cannot be pulled", () => {
    const status = {
      containerStatuses: [
        {
          name: "admission",
          image: "ghcr.io/capstan-dev/capstan-runtime:0.1.0",
          state: { waiting: { reason: "ImagePullBackOff", message: 'Back-off pulling image "ghcr.io/…"' } },
        },
      ],
    };
    expect(podProblem(pod(onNode, status), 1, [])).toBe(
      'image ghcr.io/capstan-dev/capstan-runtime:0.1.0 cannot be pulled (ImagePullBackOff): Back-off pulling image "ghcr.io/…"',
    );
  });

  it("names a crash loop with the last exit code and the command to read its log", () => {
    const status = {
      containerStatuses: [
        {
          name: "admission",
          restartCount: 4,
          state: { waiting: { reason: "CrashLoopBackOff" } },
          lastState: { terminated: { exitCode: 1, reason: "Error" } },
        },
      ],
    };
    expect(podProblem(pod(onNode, status), 1, [])).toBe(
      "container admission keeps crashing (4 restarts, last exit code 1 (Error)): kubectl logs --previous -n capstan-system capstan-demo-admission-abc-x1 -c admission",
    );
  });

  it("names a failing probe from the kubelet's Unhealthy event, else other waiting reasons", () => {
    const running = { phase: "Running", containerStatuses: [{ name: "admission", state: { running: {} } }] };
    const events: KubeEvent[] = [
      {
        type: "Warning",
        reason: "Unhealthy",
        message: "Readiness probe failed: HTTP probe failed with statuscode: 503",
      },
    ];
    expect(podProblem(pod(onNode, running), 1, events)).toBe(
      "probe failing: Readiness probe failed: HTTP probe failed with statuscode: 503",
    );
    expect(podProblem(pod(onNode, running), 1, [])).toBe("running, but not ready yet (readiness probe /readyz)");
    const config = {
      containerStatuses: [
        {
          name: "admission",
          state: { waiting: { reason: "CreateContainerConfigError", message: 'secret "x" not found' } },
        },
      ],
    };
    expect(podProblem(pod(onNode, config), 1, [])).toBe(
      'container admission waiting (CreateContainerConfigError): secret "x" not found',
    );
    const mounting = {
      phase: "Pending",
      containerStatuses: [{ name: "admission", state: { waiting: { reason: "ContainerCreating" } } }],
    };
    expect(
      podProblem(pod(onNode, mounting), 1, [
        { reason: "FailedMount", message: 'MountVolume.SetUp failed for volume "module"' },
      ]),
    ).toBe('FailedMount: MountVolume.SetUp failed for volume "module"');
  });
});
