// Command otelcol-srm is the OpenTelemetry Collector distribution for the
// studio round-time monitor: only the components that the srm-otel
// configurations use, all taken from one collector release.
package main

import (
	"log"
	"runtime/debug"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/provider/envprovider"
	"go.opentelemetry.io/collector/confmap/provider/fileprovider"
	"go.opentelemetry.io/collector/confmap/provider/yamlprovider"
	"go.opentelemetry.io/collector/connector"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/debugexporter"
	"go.opentelemetry.io/collector/exporter/nopexporter"
	"go.opentelemetry.io/collector/exporter/otlpexporter"
	"go.opentelemetry.io/collector/exporter/otlphttpexporter"
	"go.opentelemetry.io/collector/extension"
	"go.opentelemetry.io/collector/otelcol"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/memorylimiterprocessor"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/otlpreceiver"
	"go.opentelemetry.io/collector/service/telemetry/otelconftelemetry"

	"github.com/open-telemetry/opentelemetry-collector-contrib/exporter/prometheusexporter"
	"github.com/open-telemetry/opentelemetry-collector-contrib/exporter/prometheusremotewriteexporter"
	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/bearertokenauthextension"
	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/healthcheckextension"
	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/filestorage"
)

// version is the distribution's own version; the components inside carry
// the collector release pinned in go.mod.
const version = "0.165.1-srm1"

func components() (otelcol.Factories, error) {
	var err error
	factories := otelcol.Factories{Telemetry: otelconftelemetry.NewFactory()}

	factories.Receivers, err = otelcol.MakeFactoryMap[receiver.Factory](
		otlpreceiver.NewFactory(),
	)
	if err != nil {
		return otelcol.Factories{}, err
	}

	factories.Processors, err = otelcol.MakeFactoryMap[processor.Factory](
		memorylimiterprocessor.NewFactory(),
	)
	if err != nil {
		return otelcol.Factories{}, err
	}

	factories.Exporters, err = otelcol.MakeFactoryMap[exporter.Factory](
		otlpexporter.NewFactory(),
		otlphttpexporter.NewFactory(),
		debugexporter.NewFactory(),
		nopexporter.NewFactory(),
		prometheusexporter.NewFactory(),
		prometheusremotewriteexporter.NewFactory(),
	)
	if err != nil {
		return otelcol.Factories{}, err
	}

	factories.Extensions, err = otelcol.MakeFactoryMap[extension.Factory](
		filestorage.NewFactory(),
		healthcheckextension.NewFactory(),
		bearertokenauthextension.NewFactory(),
	)
	if err != nil {
		return otelcol.Factories{}, err
	}

	factories.Connectors, err = otelcol.MakeFactoryMap[connector.Factory]()
	if err != nil {
		return otelcol.Factories{}, err
	}

	factories.ReceiverModules = withVersions(map[string]string{
		"otlp": "go.opentelemetry.io/collector/receiver/otlpreceiver",
	})
	factories.ProcessorModules = withVersions(map[string]string{
		"memory_limiter": "go.opentelemetry.io/collector/processor/memorylimiterprocessor",
	})
	factories.ExporterModules = withVersions(map[string]string{
		"otlp_grpc":               "go.opentelemetry.io/collector/exporter/otlpexporter",
		"otlp_http":               "go.opentelemetry.io/collector/exporter/otlphttpexporter",
		"debug":                   "go.opentelemetry.io/collector/exporter/debugexporter",
		"nop":                     "go.opentelemetry.io/collector/exporter/nopexporter",
		"prometheus":              contrib + "exporter/prometheusexporter",
		"prometheus_remote_write": contrib + "exporter/prometheusremotewriteexporter",
	})
	factories.ExtensionModules = withVersions(map[string]string{
		"file_storage":    contrib + "extension/storage/filestorage",
		"health_check":    contrib + "extension/healthcheckextension",
		"bearertokenauth": contrib + "extension/bearertokenauthextension",
	})
	return factories, nil
}

const contrib = "github.com/open-telemetry/opentelemetry-collector-contrib/"

// withVersions maps component types to "module version" as linked into this
// binary, so `otelcol-srm components` tells exactly what was built.
func withVersions(paths map[string]string) map[component.Type]string {
	versions := map[string]string{}
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, dep := range info.Deps {
			versions[dep.Path] = dep.Version
		}
	}
	modules := make(map[component.Type]string, len(paths))
	for name, path := range paths {
		modules[component.MustNewType(name)] = path + " " + versions[path]
	}
	return modules
}

func main() {
	settings := otelcol.CollectorSettings{
		BuildInfo: component.BuildInfo{
			Command:     "otelcol-srm",
			Description: "OpenTelemetry Collector for the studio round-time monitor",
			Version:     version,
		},
		Factories: components,
		ConfigProviderSettings: otelcol.ConfigProviderSettings{
			ResolverSettings: confmap.ResolverSettings{
				ProviderFactories: []confmap.ProviderFactory{
					envprovider.NewFactory(),
					fileprovider.NewFactory(),
					yamlprovider.NewFactory(),
				},
				DefaultScheme: "env",
			},
		},
	}

	if err := otelcol.NewCommand(settings).Execute(); err != nil {
		log.Fatal(err)
	}
}
