// Package pods groups containers as Kubernetes does: a pod is a record
// (record.Pod) and an infra container that holds the namespaces the
// pod's other containers join (its network, with the pod's published
// ports, and by default its IPC and UTS namespaces). The infra container
// runs catatonit -P on a rootfs of its own, or an image the user names.
// Members are containers like any other, made from a specgen.Spec that
// names the pod; containers' create joins them to it (Spec.JoinPod).
// What a pod is doing is worked out from its containers' states each
// time, never stored.
package pods
