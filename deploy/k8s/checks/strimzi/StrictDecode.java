// Decodes the Strimzi objects of a rendered overlay into Strimzi's own Java API (io.strimzi:api) and refuses any
// field those classes do not know: Strimzi's classes keep unknown fields in an "additional properties" map
// instead of failing, so every decoded object (Strimzi's and the fabric8 ones inside, such as metadata) is walked
// and a non-empty map is reported with its path. The apiVersion must be the API version the operator stores.
// Input: a JSON array of objects on stdin. Output: one line per object; exit 1 on any failure.
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.strimzi.api.kafka.model.common.UnknownPropertyPreserving;
import io.strimzi.api.kafka.model.kafka.Kafka;
import io.strimzi.api.kafka.model.nodepool.KafkaNodePool;
import io.strimzi.api.kafka.model.topic.KafkaTopic;
import io.strimzi.api.kafka.model.user.KafkaUser;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

public class StrictDecode {
    record Kind(Class<?> type, String group, List<String> versions) {}

    static final Map<String, Kind> KINDS = Map.of(
            "Kafka", new Kind(Kafka.class, Kafka.RESOURCE_GROUP, Kafka.VERSIONS),
            "KafkaNodePool", new Kind(KafkaNodePool.class, KafkaNodePool.RESOURCE_GROUP, KafkaNodePool.VERSIONS),
            "KafkaTopic", new Kind(KafkaTopic.class, KafkaTopic.RESOURCE_GROUP, KafkaTopic.VERSIONS),
            "KafkaUser", new Kind(KafkaUser.class, KafkaUser.RESOURCE_GROUP, KafkaUser.VERSIONS));

    public static void main(String[] args) throws Exception {
        ObjectMapper mapper = new ObjectMapper()
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY);
        JsonNode objects = mapper.readTree(System.in);
        int failures = 0;
        for (JsonNode node : objects) {
            String kind = node.path("kind").asText();
            String where = node.path("apiVersion").asText() + " " + kind + "/" + node.path("metadata").path("name").asText();
            List<String> problems = new ArrayList<>();
            Kind k = KINDS.get(kind);
            if (k == null) {
                problems.add("kind not checked here");
            } else {
                // VERSIONS lists the served versions, the current (stored) one first.
                String current = k.group() + "/" + k.versions().get(0);
                if (!current.equals(node.path("apiVersion").asText())) {
                    problems.add("apiVersion is not the current " + current + " (served: " + k.versions() + ")");
                }
                try {
                    Object decoded = mapper.treeToValue(node, k.type());
                    unknown(decoded, kind, problems, new IdentityHashMap<>());
                } catch (Exception e) {
                    problems.add(e.getMessage().split("\n")[0]);
                }
            }
            if (problems.isEmpty()) {
                System.out.println("ok " + where);
            } else {
                failures++;
                System.out.println("FAIL " + where + ": " + String.join("; ", problems));
            }
        }
        System.out.println("strimzi api " + Kafka.class.getPackage().getImplementationVersion() + ", versions " + Kafka.VERSIONS);
        System.exit(failures == 0 ? 0 : 1);
    }

    static void unknown(Object value, String path, List<String> problems, IdentityHashMap<Object, Boolean> seen) throws Exception {
        if (value == null || seen.containsKey(value)) return;
        if (value instanceof Collection<?> c) {
            int i = 0;
            for (Object item : c) unknown(item, path + "[" + i++ + "]", problems, seen);
            return;
        }
        if (value instanceof Map<?, ?> m) {
            for (Map.Entry<?, ?> e : m.entrySet()) unknown(e.getValue(), path + "." + e.getKey(), problems, seen);
            return;
        }
        String pkg = value.getClass().getPackageName();
        if (!pkg.startsWith("io.strimzi.") && !pkg.startsWith("io.fabric8.")) return;
        seen.put(value, Boolean.TRUE);
        Map<String, Object> extra = additional(value);
        if (extra != null && !extra.isEmpty()) {
            problems.add("unknown field(s) " + extra.keySet() + " at " + path);
        }
        for (Method method : value.getClass().getMethods()) {
            String name = method.getName();
            if (method.getParameterCount() != 0 || Modifier.isStatic(method.getModifiers())
                    || !name.startsWith("get") || name.equals("getClass") || name.equals("getAdditionalProperties")) {
                continue;
            }
            Object child;
            try {
                child = method.invoke(value);
            } catch (Exception e) {
                continue;
            }
            String field = Character.toLowerCase(name.charAt(3)) + name.substring(4);
            unknown(child, path + "." + field, problems, seen);
        }
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> additional(Object value) {
        if (value instanceof UnknownPropertyPreserving u) return u.getAdditionalProperties();
        try {
            Method m = value.getClass().getMethod("getAdditionalProperties");
            Object r = m.invoke(value);
            return r instanceof Map<?, ?> ? (Map<String, Object>) r : null;
        } catch (Exception e) {
            return null;
        }
    }
}
