package liandong.neo4jdev;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.HttpConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.graphdb.QueryExecutionException;
import org.neo4j.io.ByteUnit;

/**
 * Starts the Neo4j 5.26 community engine with a Bolt connector on 127.0.0.1,
 * authentication on and the password of user "neo4j" set, keeping its data
 * in the given folder. Prints "BOLT READY bolt://127.0.0.1:PORT" once clients
 * can connect, and shuts down cleanly on SIGTERM / Ctrl-C.
 *
 * Usage: Neo4jDevServer --data DIR [--port 7687] [--password PW]
 *                       [--pagecache 128m] [--tx-memory 512m] [--plugins DIR]
 * The password may also come from NEO4J_PASSWORD. --plugins names a folder of
 * plugin jars (also on the classpath) whose procedures are registered, with
 * gds.* allowed unrestricted: the Graph Data Science library, for benchmarks.
 */
public final class Neo4jDevServer {

    public static void main(String[] args) throws Exception {
        Map<String, String> opts = new java.util.HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            if (!args[i].startsWith("--")) {
                usage("unexpected argument " + args[i]);
            }
            opts.put(args[i].substring(2), args[i + 1]);
        }
        if (args.length % 2 != 0) {
            usage("every option needs a value");
        }
        String data = opts.get("data");
        if (data == null) {
            usage("--data DIR is required");
        }
        int port = Integer.parseInt(opts.getOrDefault("port", "7687"));
        String envPw = System.getenv("NEO4J_PASSWORD");
        String password = opts.getOrDefault("password", envPw == null ? "liandong-dev" : envPw);
        if (password.length() < 8) {
            usage("the password must have at least 8 characters (Neo4j's own minimum)");
        }
        String pagecache = opts.getOrDefault("pagecache", "128m");
        String txMemory = opts.getOrDefault("tx-memory", "512m");

        Path home = Path.of(data).toAbsolutePath();
        DatabaseManagementServiceBuilder builder = new DatabaseManagementServiceBuilder(home);
        String plugins = opts.get("plugins");
        if (plugins != null) {
            builder.setConfig(GraphDatabaseSettings.plugin_dir, Path.of(plugins).toAbsolutePath())
                    .setConfig(GraphDatabaseSettings.procedure_unrestricted, java.util.List.of("gds.*"));
        }
        DatabaseManagementService dbms = builder
                .setConfig(BoltConnector.enabled, true)
                .setConfig(BoltConnector.listen_address, new SocketAddress("127.0.0.1", port))
                .setConfig(BoltConnector.advertised_address, new SocketAddress("127.0.0.1", port))
                .setConfig(HttpConnector.enabled, false)
                .setConfig(GraphDatabaseSettings.auth_enabled, true)
                .setConfig(GraphDatabaseSettings.pagecache_memory, ByteUnit.parse(pagecache))
                .setConfig(GraphDatabaseSettings.memory_transaction_global_max_size, ByteUnit.parse(txMemory))
                .setConfig(GraphDatabaseSettings.shutdown_transaction_end_timeout, Duration.ofSeconds(5))
                .build();

        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println("neo4j-dev: shutting down");
            dbms.shutdown();
            stopped.countDown();
        }, "neo4j-dev-shutdown"));

        // Embedded transactions run with full rights, so the system database
        // accepts the user-management command that neo4j-admin would run.
        try {
            dbms.database(GraphDatabaseSettings.SYSTEM_DATABASE_NAME).executeTransactionally(
                    "ALTER USER neo4j SET PASSWORD $pw CHANGE NOT REQUIRED", Map.of("pw", password));
        } catch (QueryExecutionException e) {
            // Restarting on the same data folder with the same password is fine.
            if (e.getMessage() == null || !e.getMessage().contains("Old password and new password cannot be the same")) {
                System.err.println("neo4j-dev: could not set the password: " + e.getMessage());
                System.exit(1);  // the shutdown hook stops the database
            }
        }

        // Touch the default database so it is online before we say ready.
        try {
            dbms.database(GraphDatabaseSettings.DEFAULT_DATABASE_NAME).executeTransactionally("RETURN 1");
        } catch (RuntimeException e) {
            System.err.println("neo4j-dev: the database did not come online: " + e.getMessage());
            System.exit(1);
        }

        System.out.println("BOLT READY bolt://127.0.0.1:" + port + " (user neo4j, data " + home + ")");
        System.out.flush();
        stopped.await();
    }

    private static void usage(String problem) {
        System.err.println("neo4j-dev: " + problem);
        System.err.println("usage: Neo4jDevServer --data DIR [--port 7687] [--password PW] "
                + "[--pagecache 128m] [--tx-memory 512m] [--plugins DIR]");
        System.exit(2);
    }
}
