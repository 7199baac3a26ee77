/* bfs: breadth-first searches from SOURCES vertices (the last one from vertex 0) over a
 * random undirected graph of n vertices and 3n edges stored in compressed sparse row (CSR)
 * form. Irregular, data-dependent loads (dist[] of each neighbour) and a frontier queue.
 *
 * Self-check: every search must reach exactly the size of its source's connected
 * component as found independently by union-find over the edge list; for the search from
 * vertex 0 the reached set must be exactly that component; across every edge the
 * distances of reached endpoints differ by at most one; every reached vertex other than 0
 * has a neighbour exactly one closer.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include "cyclesim.h"

#define SOURCES 4

static long find(long *parent, long v)
{
    while (parent[v] != v) { parent[v] = parent[parent[v]]; v = parent[v]; }
    return v;
}

int main(int argc, char **argv)
{
    long n = cs_size_arg(argc, argv, 25000, "number of vertices");
    long m = 3 * n;
    long *eu = malloc(sizeof(long) * m), *ev = malloc(sizeof(long) * m);
    long *start = calloc((size_t)n + 1, sizeof(long)), *adj = malloc(sizeof(long) * 2 * m);
    long *dist = malloc(sizeof(long) * n), *queue = malloc(sizeof(long) * n);
    long *parent = malloc(sizeof(long) * n), *fill = malloc(sizeof(long) * n);
    if (!eu || !ev || !start || !adj || !dist || !queue || !parent || !fill) {
        fprintf(stderr, "bfs: out of memory for n=%ld\n", n);
        return 2;
    }
    uint64_t seed = 0x626673ULL;
    for (long e = 0; e < m; e++) {
        eu[e] = (long)(cs_splitmix64(&seed) % (uint64_t)n);
        ev[e] = (long)(cs_splitmix64(&seed) % (uint64_t)n);
        start[eu[e] + 1]++;
        start[ev[e] + 1]++;
    }
    for (long v = 0; v < n; v++) { start[v + 1] += start[v]; fill[v] = start[v]; }
    for (long e = 0; e < m; e++) { adj[fill[eu[e]]++] = ev[e]; adj[fill[ev[e]]++] = eu[e]; }
    long sources[SOURCES], reached_from[SOURCES];
    for (int s = 0; s < SOURCES; s++)
        sources[s] = s == SOURCES - 1 ? 0 : (long)(cs_splitmix64(&seed) % (uint64_t)n);

    long head = 0, tail = 0;
    cyclesim_roi_begin();
    for (int s = 0; s < SOURCES; s++) {
        for (long v = 0; v < n; v++) dist[v] = -1;
        head = tail = 0;
        dist[sources[s]] = 0;
        queue[tail++] = sources[s];
        while (head < tail) {
            long u = queue[head++];
            long du = dist[u] + 1;
            for (long k = start[u]; k < start[u + 1]; k++) {
                long w = adj[k];
                if (dist[w] < 0) { dist[w] = du; queue[tail++] = w; }
            }
        }
        reached_from[s] = tail;
    }
    cyclesim_roi_end();

    for (long v = 0; v < n; v++) parent[v] = v;
    for (long e = 0; e < m; e++) {
        long a = find(parent, eu[e]), b = find(parent, ev[e]);
        if (a != b) parent[a] = b;
    }
    int ok = 1;
    long root = find(parent, 0), component = 0, reached = 0, maxd = 0;
    uint64_t checksum = 0;
    for (long v = 0; v < n; v++) {
        int in = find(parent, v) == root;
        component += in;
        if ((dist[v] >= 0) != in) ok = 0;
        if (dist[v] < 0) continue;
        reached++;
        checksum += (uint64_t)dist[v] * (uint64_t)(v + 1);
        if (dist[v] > maxd) maxd = dist[v];
        int has_closer = v == 0;
        for (long k = start[v]; k < start[v + 1]; k++) {
            long d = dist[adj[k]];
            if (d < 0 || d > dist[v] + 1 || d < dist[v] - 1) ok = 0;
            if (d == dist[v] - 1) has_closer = 1;
        }
        if (!has_closer) ok = 0;
    }
    if (reached != tail || reached != component || dist[0] != 0) ok = 0;
    for (int s = 0; s < SOURCES; s++) {
        long r = find(parent, sources[s]), size = 0;
        for (long v = 0; v < n; v++) size += find(parent, v) == r;
        if (reached_from[s] != size) ok = 0;
    }

    printf("bfs n=%ld edges=%ld reached=%ld depth=%ld checksum=%llu %s\n", n, m, reached, maxd,
           (unsigned long long)checksum, ok ? "ok" : "FAILED");
    return ok ? 0 : 1;
}
