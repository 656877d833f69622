// Command kedacheck decodes the KEDA objects of a rendered overlay strictly (unknown fields refused) into
// KEDA's own Go API types and runs the ScaledObject's own structural checks. Input: a JSON array of objects
// on stdin (the test renders the overlay and hands over the keda.sh objects). Exit 1 names every failure.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"

	kedav1alpha1 "github.com/kedacore/keda/v2/apis/keda/v1alpha1"
)

func decodeStrict(raw json.RawMessage, into any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	return dec.Decode(into)
}

func main() {
	data, err := io.ReadAll(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	var objects []json.RawMessage
	if err := json.Unmarshal(data, &objects); err != nil {
		fmt.Fprintln(os.Stderr, "input is not a JSON array:", err)
		os.Exit(2)
	}
	failures := 0
	for _, raw := range objects {
		var head struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
			Metadata   struct {
				Name string `json:"name"`
			} `json:"metadata"`
		}
		_ = json.Unmarshal(raw, &head)
		where := fmt.Sprintf("%s %s/%s", head.APIVersion, head.Kind, head.Metadata.Name)
		var problem error
		switch {
		case head.APIVersion != kedav1alpha1.SchemeGroupVersion.String():
			problem = fmt.Errorf("apiVersion is not %s", kedav1alpha1.SchemeGroupVersion)
		case head.Kind == "ScaledObject":
			var so kedav1alpha1.ScaledObject
			if problem = decodeStrict(raw, &so); problem == nil {
				problem = checkScaledObject(&so)
			}
		case head.Kind == "TriggerAuthentication":
			var ta kedav1alpha1.TriggerAuthentication
			problem = decodeStrict(raw, &ta)
		default:
			problem = fmt.Errorf("kind not checked here")
		}
		if problem != nil {
			failures++
			fmt.Printf("FAIL %s: %v\n", where, problem)
		} else {
			fmt.Printf("ok %s\n", where)
		}
	}
	if failures > 0 {
		os.Exit(1)
	}
}

func checkScaledObject(so *kedav1alpha1.ScaledObject) error {
	if so.Spec.ScaleTargetRef == nil || so.Spec.ScaleTargetRef.Name == "" {
		return fmt.Errorf("spec.scaleTargetRef.name is empty")
	}
	if len(so.Spec.Triggers) == 0 {
		return fmt.Errorf("no triggers")
	}
	for _, t := range so.Spec.Triggers {
		if t.Type == "" {
			return fmt.Errorf("a trigger has no type")
		}
	}
	if so.Spec.MinReplicaCount != nil && so.Spec.MaxReplicaCount != nil && *so.Spec.MinReplicaCount > *so.Spec.MaxReplicaCount {
		return fmt.Errorf("minReplicaCount > maxReplicaCount")
	}
	return nil
}
