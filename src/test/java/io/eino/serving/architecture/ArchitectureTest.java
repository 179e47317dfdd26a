package io.eino.serving.architecture;

import java.util.HashSet;
import java.util.Set;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaMethod;
import com.tngtech.archunit.core.domain.JavaMethodCall;
import com.tngtech.archunit.core.domain.JavaModifier;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.SimpleConditionEvent;
import io.eino.serving.error.Rule;
import io.eino.serving.model.ModelRegistry;

import org.springframework.boot.context.properties.ConfigurationProperties;

import static com.tngtech.archunit.base.DescribedPredicate.or;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideOutsideOfPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.methods;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

/**
 * The layer order of docs/architecture.md, enforced on the compiled classes of
 * {@code src/main} (ArchUnit).
 */
@AnalyzeClasses(packages = "io.eino.serving", importOptions = ImportOption.DoNotIncludeTests.class)
class ArchitectureTest {

	private static final String SERVICE = "io.eino.serving..";

	@ArchTest
	static final ArchRule noPackageCycles = slices().matching("io.eino.serving.(**)").should().beFreeOfCycles();

	@ArchTest
	static final ArchRule layers = layeredArchitecture().consideringOnlyDependenciesInLayers()
		.layer("Application")
		.definedBy("io.eino.serving")
		.layer("Web")
		.definedBy("io.eino.serving.api..", "io.eino.serving.grpc..", "io.eino.serving.server..")
		.layer("Service")
		.definedBy("io.eino.serving.inference..", "io.eino.serving.ratelimit..", "io.eino.serving.client..")
		.layer("Model")
		.definedBy("io.eino.serving.model..")
		.layer("Core")
		.definedBy("io.eino.serving.batching..", "io.eino.serving.runtime..", "io.eino.serving.graph..",
				"io.eino.serving.text..", "io.eino.serving.validation..", "io.eino.serving.security..",
				"io.eino.serving.repository..")
		.layer("Errors")
		.definedBy("io.eino.serving.error..")
		.layer("Extensions")
		.definedBy("io.eino.serving.plugin..", "io.eino.serving.operator..")
		.layer("Tools")
		.definedBy("io.eino.serving.importer..", "io.eino.serving.sentiment..")
		.whereLayer("Application")
		.mayNotBeAccessedByAnyLayer()
		.whereLayer("Web")
		.mayOnlyBeAccessedByLayers("Application")
		.whereLayer("Service")
		.mayOnlyBeAccessedByLayers("Web", "Application")
		.whereLayer("Model")
		.mayOnlyBeAccessedByLayers("Service", "Web", "Application")
		.whereLayer("Core")
		.mayOnlyBeAccessedByLayers("Model", "Service", "Web", "Tools", "Application")
		.whereLayer("Tools")
		.mayOnlyBeAccessedByLayers("Application");

	@ArchTest
	static final ArchRule pluginsDependOnNothingInTheService = classes().that()
		.resideInAPackage("io.eino.serving.plugin..")
		.should()
		.onlyDependOnClassesThat(or(resideInAPackage("io.eino.serving.plugin.."), resideOutsideOfPackage(SERVICE)));

	@ArchTest
	static final ArchRule operatorsDependOnNothingInTheService = classes().that()
		.resideInAPackage("io.eino.serving.operator..")
		.should()
		.onlyDependOnClassesThat(or(resideInAPackage("io.eino.serving.operator.."), resideOutsideOfPackage(SERVICE)));

	/**
	 * The protocols see batching only as its refusals: a version describes its queue as a
	 * {@code model.QueueSettings}, so settings flow from the build to the metadata
	 * without the web layer reading the batching package.
	 */
	@ArchTest
	static final ArchRule protocolsSeeBatchingOnlyAsRefusals = noClasses().that()
		.resideInAnyPackage("io.eino.serving.api..", "io.eino.serving.grpc..")
		.should()
		.dependOnClassesThat(resideInAPackage("io.eino.serving.batching..").and(DescribedPredicate
			.not(JavaClass.Predicates.assignableTo("io.eino.serving.batching.BatchingException"))));

	/**
	 * Graph rewriting works on graph definitions (freezing reads a loaded bundle's
	 * variables): it never uses the runtime's sessions, runners or batching, which use it
	 * to prepare the graphs they serve.
	 */
	@ArchTest
	static final ArchRule graphRewritingIsBelowTheRuntime = noClasses().that()
		.resideInAPackage("io.eino.serving.graph..")
		.should()
		.dependOnClassesThat()
		.resideInAnyPackage("io.eino.serving.runtime..", "io.eino.serving.batching..", "io.eino.serving.model..");

	@ArchTest
	static final ArchRule runtimeAndBatchingKnowNothingOfHttp = noClasses().that()
		.resideInAnyPackage("io.eino.serving.runtime..", "io.eino.serving.batching..", "io.eino.serving.graph..")
		.should()
		.dependOnClassesThat()
		.resideInAnyPackage("org.springframework.web..", "org.springframework.http..", "reactor.netty..",
				"io.netty.handler.codec.http..", "io.eino.serving.api..", "io.eino.serving.server..",
				"io.eino.serving.client..");

	/**
	 * The model's rooms: what requests see, below the build of a version, below the
	 * lifecycle.
	 */
	@ArchTest
	static final ArchRule modelRooms = layeredArchitecture().consideringOnlyDependenciesInLayers()
		.layer("Versions")
		.definedBy("io.eino.serving.model")
		.layer("Build")
		.definedBy("io.eino.serving.model.loading..")
		.layer("Lifecycle")
		.definedBy("io.eino.serving.model.lifecycle..")
		.whereLayer("Versions")
		.mayNotAccessAnyLayer()
		.whereLayer("Build")
		.mayOnlyAccessLayers("Versions");

	/** Requests see a version through model.ServingVersion only. */
	@ArchTest
	static final ArchRule requestsNeverTouchRunnersQueuesOrTokenizers = noClasses().that()
		.resideInAnyPackage("io.eino.serving.api..", "io.eino.serving.grpc..", "io.eino.serving.inference..",
				"io.eino.serving.ratelimit..")
		.should()
		.dependOnClassesThat()
		.haveFullyQualifiedName("io.eino.serving.model.loading.ModelVersion")
		.orShould()
		.dependOnClassesThat()
		.haveFullyQualifiedName("io.eino.serving.runtime.RunnerPool")
		.orShould()
		.dependOnClassesThat()
		.haveFullyQualifiedName("io.eino.serving.runtime.SavedModelRunner")
		.orShould()
		.dependOnClassesThat()
		.haveFullyQualifiedName("io.eino.serving.batching.BatchQueue")
		.orShould()
		.dependOnClassesThat()
		.haveFullyQualifiedName("io.eino.serving.text.TextTokenizer")
		.orShould()
		.dependOnClassesThat()
		.haveFullyQualifiedName("io.eino.serving.operator.Pipeline");

	/**
	 * A request is resolved once: only the resolution names a signature unknown, and
	 * nothing on a request's path (the protocols' predict, infer, classify, regress and
	 * explain, and their lambdas) asks the registry; {@code InferenceService.resolve}
	 * does, once per request.
	 */
	@ArchTest
	static final ArchRule onlyTheResolutionRefusesASignature = noClasses().that()
		.doNotHaveFullyQualifiedName("io.eino.serving.inference.ResolvedRequest")
		.and()
		.doNotHaveFullyQualifiedName("io.eino.serving.error.Rule")
		.should()
		.accessField(Rule.class, "UNKNOWN_SIGNATURE");

	@ArchTest
	static final ArchRule requestPathsDoNotAskTheRegistry = methods().that()
		.areDeclaredInClassesThat()
		.resideInAnyPackage("io.eino.serving.api..", "io.eino.serving.grpc..", "io.eino.serving.inference..")
		.and()
		.haveNameMatching(".*(predict|infer|Infer|classify|regress|explain|execute|[tT]extPipeline).*")
		.should(new ArchCondition<JavaMethod>("not call the model registry") {
			@Override
			public void check(JavaMethod method, ConditionEvents events) {
				for (JavaMethodCall call : method.getMethodCallsFromSelf()) {
					if (call.getTargetOwner().isEquivalentTo(ModelRegistry.class)) {
						events.add(SimpleConditionEvent.violated(method, call.getDescription()));
					}
				}
			}
		});

	/**
	 * What a version publishes to requests hides its queue: submitted texts, not batch
	 * tasks. Only the batch observer (tracing) sees the tasks of a batch.
	 */
	@ArchTest
	static final ArchRule requestsSeeNoBatchTasks = noClasses().that()
		.resideInAnyPackage("io.eino.serving.api..", "io.eino.serving.grpc..", "io.eino.serving.inference..")
		.and()
		.doNotHaveFullyQualifiedName("io.eino.serving.inference.RequestSpans")
		.or()
		.haveFullyQualifiedName("io.eino.serving.model.ServingVersion")
		.should()
		.dependOnClassesThat()
		.haveFullyQualifiedName("io.eino.serving.batching.BatchTask");

	/**
	 * The settings records ({@code @ConfigurationProperties} and the records nested in
	 * them) hold no logic, beyond a factory of their defaults: what a setting means is
	 * decided by the code that reads it.
	 */
	@ArchTest
	static final ArchRule settingsRecordsHoldNoLogic = classes().that(settingsRecords())
		.should(new ArchCondition<JavaClass>("declare no methods but their components' accessors") {
			@Override
			public void check(JavaClass record, ConditionEvents events) {
				Set<String> components = new HashSet<>();
				for (var component : record.reflect().getRecordComponents()) {
					components.add(component.getName());
				}
				for (JavaMethod method : record.getMethods()) {
					boolean accessor = components.contains(method.getName()) && method.getRawParameterTypes().isEmpty();
					boolean factory = method.getModifiers().contains(JavaModifier.STATIC)
							&& method.getRawReturnType().equals(record);
					boolean generated = Set.of("equals", "hashCode", "toString").contains(method.getName())
							|| method.getName().startsWith("lambda$")
							|| method.getModifiers().contains(JavaModifier.SYNTHETIC);
					if (!accessor && !factory && !generated) {
						events.add(SimpleConditionEvent.violated(method, method.getFullName() + " holds logic"));
					}
				}
			}
		});

	private static DescribedPredicate<JavaClass> settingsRecords() {
		return new DescribedPredicate<>("settings records") {
			@Override
			public boolean test(JavaClass type) {
				if (!type.isRecord()) {
					return false;
				}
				for (JavaClass each = type; each != null; each = each.getEnclosingClass().orElse(null)) {
					if (each.isAnnotatedWith(ConfigurationProperties.class)) {
						return true;
					}
				}
				return false;
			}
		};
	}

	@ArchTest
	static final ArchRule servingNeedsNoOfflineTool = noClasses().that()
		.resideInAPackage(SERVICE)
		.and()
		.resideOutsideOfPackages("io.eino.serving", "io.eino.serving.importer..", "io.eino.serving.sentiment..")
		.should()
		.dependOnClassesThat()
		.resideInAnyPackage("io.eino.serving.importer..", "io.eino.serving.sentiment..");

}
