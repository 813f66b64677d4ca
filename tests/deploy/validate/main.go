// Command validate checks Kubernetes manifests (multi-document YAML, from files or stdin)
// against the API types they claim to be: every object is decoded strictly into its typed
// struct (k8s.io/api, prometheus-operator's monitoring/v1 for PodMonitor and ServiceMonitor),
// so unknown or duplicate fields, wrong types and kinds it does not know are errors. It stands in
// for kubeconform, which needs to download its schemas.
//
// Usage: validate [FILE...]  (no FILE: stdin). Prints one line per object; exits 1 on any error.
package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	kjson "k8s.io/apimachinery/pkg/runtime/serializer/json"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	sigsyaml "sigs.k8s.io/yaml"
)

func newSerializer() *kjson.Serializer {
	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{
		corev1.AddToScheme, appsv1.AddToScheme, policyv1.AddToScheme,
		networkingv1.AddToScheme, rbacv1.AddToScheme, monitoringv1.AddToScheme,
	} {
		if err := add(scheme); err != nil {
			panic(err)
		}
	}
	return kjson.NewSerializerWithOptions(kjson.DefaultMetaFactory, scheme, scheme,
		kjson.SerializerOptions{Yaml: true, Strict: true})
}

// validate decodes every document of one stream; it returns the number of objects and the errors.
func validate(name string, in io.Reader, serializer *kjson.Serializer, out io.Writer) (int, []error) {
	reader := utilyaml.NewYAMLReader(bufio.NewReader(in))
	var errs []error
	objects := 0
	for index := 0; ; index++ {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return objects, append(errs, fmt.Errorf("%s: document %d: %w", name, index, err))
		}
		var probe any
		if err := sigsyaml.Unmarshal(doc, &probe); err != nil {
			errs = append(errs, fmt.Errorf("%s: document %d is not YAML: %w", name, index, err))
			continue
		}
		if probe == nil {
			continue // only comments, e.g. a template that rendered nothing
		}
		object, gvk, err := serializer.Decode(doc, nil, nil)
		where := fmt.Sprintf("%s: document %d", name, index)
		if gvk != nil {
			where += fmt.Sprintf(" (%s %s", gvk.GroupVersion().String(), gvk.Kind)
			if object != nil {
				if accessor, aerr := meta.Accessor(object); aerr == nil {
					where += " " + accessor.GetName()
				}
			}
			where += ")"
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", where, err))
			continue
		}
		if accessor, err := meta.Accessor(object); err != nil || accessor.GetName() == "" {
			errs = append(errs, fmt.Errorf("%s: metadata.name is empty", where))
			continue
		}
		objects++
		fmt.Fprintf(out, "ok %s\n", where)
	}
	return objects, errs
}

func main() {
	serializer := newSerializer()
	var errs []error
	objects := 0
	run := func(name string, in io.Reader) {
		n, e := validate(name, in, serializer, os.Stdout)
		objects += n
		errs = append(errs, e...)
	}
	if len(os.Args) < 2 {
		run("stdin", os.Stdin)
	}
	for _, path := range os.Args[1:] {
		file, err := os.Open(path)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		run(path, file)
		file.Close()
	}
	for _, err := range errs {
		fmt.Fprintln(os.Stderr, "error:", err)
	}
	fmt.Printf("%d objects valid, %d errors\n", objects, len(errs))
	if len(errs) > 0 || objects == 0 {
		os.Exit(1)
	}
}
