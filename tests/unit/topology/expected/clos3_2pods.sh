ip netns add c3-server0
ip netns add c3-server1
ip netns add c3-server2
ip netns add c3-server3
ip netns add c3-server4
ip netns add c3-server5
ip netns add c3-server6
ip netns add c3-server7
ip netns add c3-pod0-leaf0
ip netns add c3-pod0-leaf1
ip netns add c3-pod1-leaf0
ip netns add c3-pod1-leaf1
ip netns add c3-pod0-spine0
ip netns add c3-pod0-spine1
ip netns add c3-pod1-spine0
ip netns add c3-pod1-spine1
ip netns add c3-super0
ip netns add c3-super1
ip netns add c3-mgmt
ip netns exec c3-server0 sysctl -q -w net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 net.ipv4.fib_multipath_hash_policy=1 net.ipv4.ip_forward=0 net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip netns exec c3-server1 sysctl -q -w net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 net.ipv4.fib_multipath_hash_policy=1 net.ipv4.ip_forward=0 net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip netns exec c3-server2 sysctl -q -w net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 net.ipv4.fib_multipath_hash_policy=1 net.ipv4.ip_forward=0 net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip netns exec c3-server3 sysctl -q -w net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 net.ipv4.fib_multipath_hash_policy=1 net.ipv4.ip_forward=0 net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip netns exec c3-server4 sysctl -q -w net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 net.ipv4.fib_multipath_hash_policy=1 net.ipv4.ip_forward=0 net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip netns exec c3-server5 sysctl -q -w net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 net.ipv4.fib_multipath_hash_policy=1 net.ipv4.ip_forward=0 net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip netns exec c3-server6 sysctl -q -w net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 net.ipv4.fib_multipath_hash_policy=1 net.ipv4.ip_forward=0 net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip netns exec c3-server7 sysctl -q -w net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 net.ipv4.fib_multipath_hash_policy=1 net.ipv4.ip_forward=0 net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip netns exec c3-pod0-leaf0 sysctl -q -w net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 net.ipv4.fib_multipath_hash_policy=1 net.ipv4.ip_forward=1 net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip netns exec c3-pod0-leaf1 sysctl -q -w net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 net.ipv4.fib_multipath_hash_policy=1 net.ipv4.ip_forward=1 net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip netns exec c3-pod1-leaf0 sysctl -q -w net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 net.ipv4.fib_multipath_hash_policy=1 net.ipv4.ip_forward=1 net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip netns exec c3-pod1-leaf1 sysctl -q -w net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 net.ipv4.fib_multipath_hash_policy=1 net.ipv4.ip_forward=1 net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip netns exec c3-pod0-spine0 sysctl -q -w net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 net.ipv4.fib_multipath_hash_policy=1 net.ipv4.ip_forward=1 net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip netns exec c3-pod0-spine1 sysctl -q -w net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 net.ipv4.fib_multipath_hash_policy=1 net.ipv4.ip_forward=1 net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip netns exec c3-pod1-spine0 sysctl -q -w net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 net.ipv4.fib_multipath_hash_policy=1 net.ipv4.ip_forward=1 net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip netns exec c3-pod1-spine1 sysctl -q -w net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 net.ipv4.fib_multipath_hash_policy=1 net.ipv4.ip_forward=1 net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip netns exec c3-super0 sysctl -q -w net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 net.ipv4.fib_multipath_hash_policy=1 net.ipv4.ip_forward=1 net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip netns exec c3-super1 sysctl -q -w net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 net.ipv4.fib_multipath_hash_policy=1 net.ipv4.ip_forward=1 net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip netns exec c3-mgmt sysctl -q -w net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 net.ipv4.ip_forward=0 net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip -n c3-server0 link add fab0 mtu 9000 type veth peer name server0 mtu 9000 netns c3-pod0-leaf0
ip -n c3-server0 link add mgmt0 mtu 1500 type veth peer name server0 mtu 1500 netns c3-mgmt
ip -n c3-server1 link add fab0 mtu 9000 type veth peer name server1 mtu 9000 netns c3-pod0-leaf0
ip -n c3-server1 link add mgmt0 mtu 1500 type veth peer name server1 mtu 1500 netns c3-mgmt
ip -n c3-server2 link add fab0 mtu 9000 type veth peer name server2 mtu 9000 netns c3-pod0-leaf1
ip -n c3-server2 link add mgmt0 mtu 1500 type veth peer name server2 mtu 1500 netns c3-mgmt
ip -n c3-server3 link add fab0 mtu 9000 type veth peer name server3 mtu 9000 netns c3-pod0-leaf1
ip -n c3-server3 link add mgmt0 mtu 1500 type veth peer name server3 mtu 1500 netns c3-mgmt
ip -n c3-server4 link add fab0 mtu 9000 type veth peer name server4 mtu 9000 netns c3-pod1-leaf0
ip -n c3-server4 link add mgmt0 mtu 1500 type veth peer name server4 mtu 1500 netns c3-mgmt
ip -n c3-server5 link add fab0 mtu 9000 type veth peer name server5 mtu 9000 netns c3-pod1-leaf0
ip -n c3-server5 link add mgmt0 mtu 1500 type veth peer name server5 mtu 1500 netns c3-mgmt
ip -n c3-server6 link add fab0 mtu 9000 type veth peer name server6 mtu 9000 netns c3-pod1-leaf1
ip -n c3-server6 link add mgmt0 mtu 1500 type veth peer name server6 mtu 1500 netns c3-mgmt
ip -n c3-server7 link add fab0 mtu 9000 type veth peer name server7 mtu 9000 netns c3-pod1-leaf1
ip -n c3-server7 link add mgmt0 mtu 1500 type veth peer name server7 mtu 1500 netns c3-mgmt
ip -n c3-pod0-leaf0 link add pod0-spine0 mtu 9000 type veth peer name pod0-leaf0 mtu 9000 netns c3-pod0-spine0
ip -n c3-pod0-leaf0 link add pod0-spine1 mtu 9000 type veth peer name pod0-leaf0 mtu 9000 netns c3-pod0-spine1
ip -n c3-pod0-leaf1 link add pod0-spine0 mtu 9000 type veth peer name pod0-leaf1 mtu 9000 netns c3-pod0-spine0
ip -n c3-pod0-leaf1 link add pod0-spine1 mtu 9000 type veth peer name pod0-leaf1 mtu 9000 netns c3-pod0-spine1
ip -n c3-pod1-leaf0 link add pod1-spine0 mtu 9000 type veth peer name pod1-leaf0 mtu 9000 netns c3-pod1-spine0
ip -n c3-pod1-leaf0 link add pod1-spine1 mtu 9000 type veth peer name pod1-leaf0 mtu 9000 netns c3-pod1-spine1
ip -n c3-pod1-leaf1 link add pod1-spine0 mtu 9000 type veth peer name pod1-leaf1 mtu 9000 netns c3-pod1-spine0
ip -n c3-pod1-leaf1 link add pod1-spine1 mtu 9000 type veth peer name pod1-leaf1 mtu 9000 netns c3-pod1-spine1
ip -n c3-pod0-spine0 link add super0 mtu 9000 type veth peer name pod0-spine0 mtu 9000 netns c3-super0
ip -n c3-pod0-spine0 link add super1 mtu 9000 type veth peer name pod0-spine0 mtu 9000 netns c3-super1
ip -n c3-pod0-spine1 link add super0 mtu 9000 type veth peer name pod0-spine1 mtu 9000 netns c3-super0
ip -n c3-pod0-spine1 link add super1 mtu 9000 type veth peer name pod0-spine1 mtu 9000 netns c3-super1
ip -n c3-pod1-spine0 link add super0 mtu 9000 type veth peer name pod1-spine0 mtu 9000 netns c3-super0
ip -n c3-pod1-spine0 link add super1 mtu 9000 type veth peer name pod1-spine0 mtu 9000 netns c3-super1
ip -n c3-pod1-spine1 link add super0 mtu 9000 type veth peer name pod1-spine1 mtu 9000 netns c3-super0
ip -n c3-pod1-spine1 link add super1 mtu 9000 type veth peer name pod1-spine1 mtu 9000 netns c3-super1
ip -n c3-mgmt link add mgmt mtu 1500 type bridge
ip -n c3-server0 link set lo alias aifabric-fabric:c3
ip -n c3-server0 link set lo up
ip -n c3-server0 link set fab0 up
ip -n c3-server0 link set mgmt0 up
ip -n c3-server0 addr add 10.0.0.5/31 dev fab0
ip -n c3-server0 addr add 172.31.0.10/16 dev mgmt0
ip -n c3-server0 route add 10.0.0.0/16 via 10.0.0.4 dev fab0
ip -n c3-server1 link set lo alias aifabric-fabric:c3
ip -n c3-server1 link set lo up
ip -n c3-server1 link set fab0 up
ip -n c3-server1 link set mgmt0 up
ip -n c3-server1 addr add 10.0.0.7/31 dev fab0
ip -n c3-server1 addr add 172.31.0.11/16 dev mgmt0
ip -n c3-server1 route add 10.0.0.0/16 via 10.0.0.6 dev fab0
ip -n c3-server2 link set lo alias aifabric-fabric:c3
ip -n c3-server2 link set lo up
ip -n c3-server2 link set fab0 up
ip -n c3-server2 link set mgmt0 up
ip -n c3-server2 addr add 10.0.0.13/31 dev fab0
ip -n c3-server2 addr add 172.31.0.12/16 dev mgmt0
ip -n c3-server2 route add 10.0.0.0/16 via 10.0.0.12 dev fab0
ip -n c3-server3 link set lo alias aifabric-fabric:c3
ip -n c3-server3 link set lo up
ip -n c3-server3 link set fab0 up
ip -n c3-server3 link set mgmt0 up
ip -n c3-server3 addr add 10.0.0.15/31 dev fab0
ip -n c3-server3 addr add 172.31.0.13/16 dev mgmt0
ip -n c3-server3 route add 10.0.0.0/16 via 10.0.0.14 dev fab0
ip -n c3-server4 link set lo alias aifabric-fabric:c3
ip -n c3-server4 link set lo up
ip -n c3-server4 link set fab0 up
ip -n c3-server4 link set mgmt0 up
ip -n c3-server4 addr add 10.0.0.21/31 dev fab0
ip -n c3-server4 addr add 172.31.0.14/16 dev mgmt0
ip -n c3-server4 route add 10.0.0.0/16 via 10.0.0.20 dev fab0
ip -n c3-server5 link set lo alias aifabric-fabric:c3
ip -n c3-server5 link set lo up
ip -n c3-server5 link set fab0 up
ip -n c3-server5 link set mgmt0 up
ip -n c3-server5 addr add 10.0.0.23/31 dev fab0
ip -n c3-server5 addr add 172.31.0.15/16 dev mgmt0
ip -n c3-server5 route add 10.0.0.0/16 via 10.0.0.22 dev fab0
ip -n c3-server6 link set lo alias aifabric-fabric:c3
ip -n c3-server6 link set lo up
ip -n c3-server6 link set fab0 up
ip -n c3-server6 link set mgmt0 up
ip -n c3-server6 addr add 10.0.0.29/31 dev fab0
ip -n c3-server6 addr add 172.31.0.16/16 dev mgmt0
ip -n c3-server6 route add 10.0.0.0/16 via 10.0.0.28 dev fab0
ip -n c3-server7 link set lo alias aifabric-fabric:c3
ip -n c3-server7 link set lo up
ip -n c3-server7 link set fab0 up
ip -n c3-server7 link set mgmt0 up
ip -n c3-server7 addr add 10.0.0.31/31 dev fab0
ip -n c3-server7 addr add 172.31.0.17/16 dev mgmt0
ip -n c3-server7 route add 10.0.0.0/16 via 10.0.0.30 dev fab0
ip -n c3-pod0-leaf0 link set lo alias aifabric-fabric:c3
ip -n c3-pod0-leaf0 link set lo up
ip -n c3-pod0-leaf0 link set server0 up
ip -n c3-pod0-leaf0 link set server1 up
ip -n c3-pod0-leaf0 link set pod0-spine0 up
ip -n c3-pod0-leaf0 link set pod0-spine1 up
ip -n c3-pod0-leaf0 addr add 10.0.0.1/31 dev pod0-spine0
ip -n c3-pod0-leaf0 addr add 10.0.0.3/31 dev pod0-spine1
ip -n c3-pod0-leaf0 addr add 10.0.0.4/31 dev server0
ip -n c3-pod0-leaf0 addr add 10.0.0.6/31 dev server1
ip -n c3-pod0-leaf0 route add 10.0.0.0/16 nexthop via 10.0.0.0 dev pod0-spine0 nexthop via 10.0.0.2 dev pod0-spine1
ip -n c3-pod0-leaf1 link set lo alias aifabric-fabric:c3
ip -n c3-pod0-leaf1 link set lo up
ip -n c3-pod0-leaf1 link set server2 up
ip -n c3-pod0-leaf1 link set server3 up
ip -n c3-pod0-leaf1 link set pod0-spine0 up
ip -n c3-pod0-leaf1 link set pod0-spine1 up
ip -n c3-pod0-leaf1 addr add 10.0.0.9/31 dev pod0-spine0
ip -n c3-pod0-leaf1 addr add 10.0.0.11/31 dev pod0-spine1
ip -n c3-pod0-leaf1 addr add 10.0.0.12/31 dev server2
ip -n c3-pod0-leaf1 addr add 10.0.0.14/31 dev server3
ip -n c3-pod0-leaf1 route add 10.0.0.0/16 nexthop via 10.0.0.8 dev pod0-spine0 nexthop via 10.0.0.10 dev pod0-spine1
ip -n c3-pod1-leaf0 link set lo alias aifabric-fabric:c3
ip -n c3-pod1-leaf0 link set lo up
ip -n c3-pod1-leaf0 link set server4 up
ip -n c3-pod1-leaf0 link set server5 up
ip -n c3-pod1-leaf0 link set pod1-spine0 up
ip -n c3-pod1-leaf0 link set pod1-spine1 up
ip -n c3-pod1-leaf0 addr add 10.0.0.17/31 dev pod1-spine0
ip -n c3-pod1-leaf0 addr add 10.0.0.19/31 dev pod1-spine1
ip -n c3-pod1-leaf0 addr add 10.0.0.20/31 dev server4
ip -n c3-pod1-leaf0 addr add 10.0.0.22/31 dev server5
ip -n c3-pod1-leaf0 route add 10.0.0.0/16 nexthop via 10.0.0.16 dev pod1-spine0 nexthop via 10.0.0.18 dev pod1-spine1
ip -n c3-pod1-leaf1 link set lo alias aifabric-fabric:c3
ip -n c3-pod1-leaf1 link set lo up
ip -n c3-pod1-leaf1 link set server6 up
ip -n c3-pod1-leaf1 link set server7 up
ip -n c3-pod1-leaf1 link set pod1-spine0 up
ip -n c3-pod1-leaf1 link set pod1-spine1 up
ip -n c3-pod1-leaf1 addr add 10.0.0.25/31 dev pod1-spine0
ip -n c3-pod1-leaf1 addr add 10.0.0.27/31 dev pod1-spine1
ip -n c3-pod1-leaf1 addr add 10.0.0.28/31 dev server6
ip -n c3-pod1-leaf1 addr add 10.0.0.30/31 dev server7
ip -n c3-pod1-leaf1 route add 10.0.0.0/16 nexthop via 10.0.0.24 dev pod1-spine0 nexthop via 10.0.0.26 dev pod1-spine1
ip -n c3-pod0-spine0 link set lo alias aifabric-fabric:c3
ip -n c3-pod0-spine0 link set lo up
ip -n c3-pod0-spine0 link set pod0-leaf0 up
ip -n c3-pod0-spine0 link set pod0-leaf1 up
ip -n c3-pod0-spine0 link set super0 up
ip -n c3-pod0-spine0 link set super1 up
ip -n c3-pod0-spine0 addr add 10.0.0.0/31 dev pod0-leaf0
ip -n c3-pod0-spine0 addr add 10.0.0.8/31 dev pod0-leaf1
ip -n c3-pod0-spine0 addr add 10.0.0.33/31 dev super0
ip -n c3-pod0-spine0 addr add 10.0.0.35/31 dev super1
ip -n c3-pod0-spine0 route add 10.0.0.0/29 via 10.0.0.1 dev pod0-leaf0
ip -n c3-pod0-spine0 route add 10.0.0.8/29 via 10.0.0.9 dev pod0-leaf1
ip -n c3-pod0-spine0 route add 10.0.0.0/16 nexthop via 10.0.0.32 dev super0 nexthop via 10.0.0.34 dev super1
ip -n c3-pod0-spine1 link set lo alias aifabric-fabric:c3
ip -n c3-pod0-spine1 link set lo up
ip -n c3-pod0-spine1 link set pod0-leaf0 up
ip -n c3-pod0-spine1 link set pod0-leaf1 up
ip -n c3-pod0-spine1 link set super0 up
ip -n c3-pod0-spine1 link set super1 up
ip -n c3-pod0-spine1 addr add 10.0.0.2/31 dev pod0-leaf0
ip -n c3-pod0-spine1 addr add 10.0.0.10/31 dev pod0-leaf1
ip -n c3-pod0-spine1 addr add 10.0.0.37/31 dev super0
ip -n c3-pod0-spine1 addr add 10.0.0.39/31 dev super1
ip -n c3-pod0-spine1 route add 10.0.0.0/29 via 10.0.0.3 dev pod0-leaf0
ip -n c3-pod0-spine1 route add 10.0.0.8/29 via 10.0.0.11 dev pod0-leaf1
ip -n c3-pod0-spine1 route add 10.0.0.0/16 nexthop via 10.0.0.36 dev super0 nexthop via 10.0.0.38 dev super1
ip -n c3-pod1-spine0 link set lo alias aifabric-fabric:c3
ip -n c3-pod1-spine0 link set lo up
ip -n c3-pod1-spine0 link set pod1-leaf0 up
ip -n c3-pod1-spine0 link set pod1-leaf1 up
ip -n c3-pod1-spine0 link set super0 up
ip -n c3-pod1-spine0 link set super1 up
ip -n c3-pod1-spine0 addr add 10.0.0.16/31 dev pod1-leaf0
ip -n c3-pod1-spine0 addr add 10.0.0.24/31 dev pod1-leaf1
ip -n c3-pod1-spine0 addr add 10.0.0.41/31 dev super0
ip -n c3-pod1-spine0 addr add 10.0.0.43/31 dev super1
ip -n c3-pod1-spine0 route add 10.0.0.16/29 via 10.0.0.17 dev pod1-leaf0
ip -n c3-pod1-spine0 route add 10.0.0.24/29 via 10.0.0.25 dev pod1-leaf1
ip -n c3-pod1-spine0 route add 10.0.0.0/16 nexthop via 10.0.0.40 dev super0 nexthop via 10.0.0.42 dev super1
ip -n c3-pod1-spine1 link set lo alias aifabric-fabric:c3
ip -n c3-pod1-spine1 link set lo up
ip -n c3-pod1-spine1 link set pod1-leaf0 up
ip -n c3-pod1-spine1 link set pod1-leaf1 up
ip -n c3-pod1-spine1 link set super0 up
ip -n c3-pod1-spine1 link set super1 up
ip -n c3-pod1-spine1 addr add 10.0.0.18/31 dev pod1-leaf0
ip -n c3-pod1-spine1 addr add 10.0.0.26/31 dev pod1-leaf1
ip -n c3-pod1-spine1 addr add 10.0.0.45/31 dev super0
ip -n c3-pod1-spine1 addr add 10.0.0.47/31 dev super1
ip -n c3-pod1-spine1 route add 10.0.0.16/29 via 10.0.0.19 dev pod1-leaf0
ip -n c3-pod1-spine1 route add 10.0.0.24/29 via 10.0.0.27 dev pod1-leaf1
ip -n c3-pod1-spine1 route add 10.0.0.0/16 nexthop via 10.0.0.44 dev super0 nexthop via 10.0.0.46 dev super1
ip -n c3-super0 link set lo alias aifabric-fabric:c3
ip -n c3-super0 link set lo up
ip -n c3-super0 link set pod0-spine0 up
ip -n c3-super0 link set pod0-spine1 up
ip -n c3-super0 link set pod1-spine0 up
ip -n c3-super0 link set pod1-spine1 up
ip -n c3-super0 addr add 10.0.0.32/31 dev pod0-spine0
ip -n c3-super0 addr add 10.0.0.36/31 dev pod0-spine1
ip -n c3-super0 addr add 10.0.0.40/31 dev pod1-spine0
ip -n c3-super0 addr add 10.0.0.44/31 dev pod1-spine1
ip -n c3-super0 route add 10.0.0.0/28 nexthop via 10.0.0.33 dev pod0-spine0 nexthop via 10.0.0.37 dev pod0-spine1
ip -n c3-super0 route add 10.0.0.16/28 nexthop via 10.0.0.41 dev pod1-spine0 nexthop via 10.0.0.45 dev pod1-spine1
ip -n c3-super1 link set lo alias aifabric-fabric:c3
ip -n c3-super1 link set lo up
ip -n c3-super1 link set pod0-spine0 up
ip -n c3-super1 link set pod0-spine1 up
ip -n c3-super1 link set pod1-spine0 up
ip -n c3-super1 link set pod1-spine1 up
ip -n c3-super1 addr add 10.0.0.34/31 dev pod0-spine0
ip -n c3-super1 addr add 10.0.0.38/31 dev pod0-spine1
ip -n c3-super1 addr add 10.0.0.42/31 dev pod1-spine0
ip -n c3-super1 addr add 10.0.0.46/31 dev pod1-spine1
ip -n c3-super1 route add 10.0.0.0/28 nexthop via 10.0.0.35 dev pod0-spine0 nexthop via 10.0.0.39 dev pod0-spine1
ip -n c3-super1 route add 10.0.0.16/28 nexthop via 10.0.0.43 dev pod1-spine0 nexthop via 10.0.0.47 dev pod1-spine1
ip -n c3-mgmt link set lo alias aifabric-fabric:c3
ip -n c3-mgmt link set server0 master mgmt
ip -n c3-mgmt link set server1 master mgmt
ip -n c3-mgmt link set server2 master mgmt
ip -n c3-mgmt link set server3 master mgmt
ip -n c3-mgmt link set server4 master mgmt
ip -n c3-mgmt link set server5 master mgmt
ip -n c3-mgmt link set server6 master mgmt
ip -n c3-mgmt link set server7 master mgmt
ip -n c3-mgmt link set lo up
ip -n c3-mgmt link set server0 up
ip -n c3-mgmt link set server1 up
ip -n c3-mgmt link set server2 up
ip -n c3-mgmt link set server3 up
ip -n c3-mgmt link set server4 up
ip -n c3-mgmt link set server5 up
ip -n c3-mgmt link set server6 up
ip -n c3-mgmt link set server7 up
ip -n c3-mgmt link set mgmt up
tc -n c3-pod0-leaf0 qdisc add dev pod0-spine0 root handle 1: htb default 1
tc -n c3-pod0-leaf0 class add dev pod0-spine0 parent 1: classid 1:1 htb rate 200mbit ceil 200mbit burst 25000 cburst 25000 quantum 200000
tc -n c3-pod0-leaf0 qdisc add dev pod0-spine1 root handle 1: htb default 1
tc -n c3-pod0-leaf0 class add dev pod0-spine1 parent 1: classid 1:1 htb rate 200mbit ceil 200mbit burst 25000 cburst 25000 quantum 200000
tc -n c3-pod0-leaf0 qdisc add dev server0 root handle 1: htb default 1
tc -n c3-pod0-leaf0 class add dev server0 parent 1: classid 1:1 htb rate 400mbit ceil 400mbit burst 50000 cburst 50000 quantum 200000
tc -n c3-pod0-leaf0 qdisc add dev server1 root handle 1: htb default 1
tc -n c3-pod0-leaf0 class add dev server1 parent 1: classid 1:1 htb rate 400mbit ceil 400mbit burst 50000 cburst 50000 quantum 200000
tc -n c3-pod0-leaf1 qdisc add dev pod0-spine0 root handle 1: htb default 1
tc -n c3-pod0-leaf1 class add dev pod0-spine0 parent 1: classid 1:1 htb rate 200mbit ceil 200mbit burst 25000 cburst 25000 quantum 200000
tc -n c3-pod0-leaf1 qdisc add dev pod0-spine1 root handle 1: htb default 1
tc -n c3-pod0-leaf1 class add dev pod0-spine1 parent 1: classid 1:1 htb rate 200mbit ceil 200mbit burst 25000 cburst 25000 quantum 200000
tc -n c3-pod0-leaf1 qdisc add dev server2 root handle 1: htb default 1
tc -n c3-pod0-leaf1 class add dev server2 parent 1: classid 1:1 htb rate 400mbit ceil 400mbit burst 50000 cburst 50000 quantum 200000
tc -n c3-pod0-leaf1 qdisc add dev server3 root handle 1: htb default 1
tc -n c3-pod0-leaf1 class add dev server3 parent 1: classid 1:1 htb rate 400mbit ceil 400mbit burst 50000 cburst 50000 quantum 200000
tc -n c3-pod1-leaf0 qdisc add dev pod1-spine0 root handle 1: htb default 1
tc -n c3-pod1-leaf0 class add dev pod1-spine0 parent 1: classid 1:1 htb rate 200mbit ceil 200mbit burst 25000 cburst 25000 quantum 200000
tc -n c3-pod1-leaf0 qdisc add dev pod1-spine1 root handle 1: htb default 1
tc -n c3-pod1-leaf0 class add dev pod1-spine1 parent 1: classid 1:1 htb rate 200mbit ceil 200mbit burst 25000 cburst 25000 quantum 200000
tc -n c3-pod1-leaf0 qdisc add dev server4 root handle 1: htb default 1
tc -n c3-pod1-leaf0 class add dev server4 parent 1: classid 1:1 htb rate 400mbit ceil 400mbit burst 50000 cburst 50000 quantum 200000
tc -n c3-pod1-leaf0 qdisc add dev server5 root handle 1: htb default 1
tc -n c3-pod1-leaf0 class add dev server5 parent 1: classid 1:1 htb rate 400mbit ceil 400mbit burst 50000 cburst 50000 quantum 200000
tc -n c3-pod1-leaf1 qdisc add dev pod1-spine0 root handle 1: htb default 1
tc -n c3-pod1-leaf1 class add dev pod1-spine0 parent 1: classid 1:1 htb rate 200mbit ceil 200mbit burst 25000 cburst 25000 quantum 200000
tc -n c3-pod1-leaf1 qdisc add dev pod1-spine1 root handle 1: htb default 1
tc -n c3-pod1-leaf1 class add dev pod1-spine1 parent 1: classid 1:1 htb rate 200mbit ceil 200mbit burst 25000 cburst 25000 quantum 200000
tc -n c3-pod1-leaf1 qdisc add dev server6 root handle 1: htb default 1
tc -n c3-pod1-leaf1 class add dev server6 parent 1: classid 1:1 htb rate 400mbit ceil 400mbit burst 50000 cburst 50000 quantum 200000
tc -n c3-pod1-leaf1 qdisc add dev server7 root handle 1: htb default 1
tc -n c3-pod1-leaf1 class add dev server7 parent 1: classid 1:1 htb rate 400mbit ceil 400mbit burst 50000 cburst 50000 quantum 200000
tc -n c3-pod0-spine0 qdisc add dev pod0-leaf0 root handle 1: htb default 1
tc -n c3-pod0-spine0 class add dev pod0-leaf0 parent 1: classid 1:1 htb rate 200mbit ceil 200mbit burst 25000 cburst 25000 quantum 200000
tc -n c3-pod0-spine0 qdisc add dev pod0-leaf1 root handle 1: htb default 1
tc -n c3-pod0-spine0 class add dev pod0-leaf1 parent 1: classid 1:1 htb rate 200mbit ceil 200mbit burst 25000 cburst 25000 quantum 200000
tc -n c3-pod0-spine0 qdisc add dev super0 root handle 1: htb default 1
tc -n c3-pod0-spine0 class add dev super0 parent 1: classid 1:1 htb rate 400mbit ceil 400mbit burst 50000 cburst 50000 quantum 200000
tc -n c3-pod0-spine0 qdisc add dev super1 root handle 1: htb default 1
tc -n c3-pod0-spine0 class add dev super1 parent 1: classid 1:1 htb rate 400mbit ceil 400mbit burst 50000 cburst 50000 quantum 200000
tc -n c3-pod0-spine0 qdisc add dev super0 parent 1:1 handle 10: netem delay 10us limit 1000
tc -n c3-pod0-spine0 qdisc add dev super1 parent 1:1 handle 10: netem delay 10us limit 1000
tc -n c3-pod0-spine1 qdisc add dev pod0-leaf0 root handle 1: htb default 1
tc -n c3-pod0-spine1 class add dev pod0-leaf0 parent 1: classid 1:1 htb rate 200mbit ceil 200mbit burst 25000 cburst 25000 quantum 200000
tc -n c3-pod0-spine1 qdisc add dev pod0-leaf1 root handle 1: htb default 1
tc -n c3-pod0-spine1 class add dev pod0-leaf1 parent 1: classid 1:1 htb rate 200mbit ceil 200mbit burst 25000 cburst 25000 quantum 200000
tc -n c3-pod0-spine1 qdisc add dev super0 root handle 1: htb default 1
tc -n c3-pod0-spine1 class add dev super0 parent 1: classid 1:1 htb rate 400mbit ceil 400mbit burst 50000 cburst 50000 quantum 200000
tc -n c3-pod0-spine1 qdisc add dev super1 root handle 1: htb default 1
tc -n c3-pod0-spine1 class add dev super1 parent 1: classid 1:1 htb rate 400mbit ceil 400mbit burst 50000 cburst 50000 quantum 200000
tc -n c3-pod0-spine1 qdisc add dev super0 parent 1:1 handle 10: netem delay 10us limit 1000
tc -n c3-pod0-spine1 qdisc add dev super1 parent 1:1 handle 10: netem delay 10us limit 1000
tc -n c3-pod1-spine0 qdisc add dev pod1-leaf0 root handle 1: htb default 1
tc -n c3-pod1-spine0 class add dev pod1-leaf0 parent 1: classid 1:1 htb rate 200mbit ceil 200mbit burst 25000 cburst 25000 quantum 200000
tc -n c3-pod1-spine0 qdisc add dev pod1-leaf1 root handle 1: htb default 1
tc -n c3-pod1-spine0 class add dev pod1-leaf1 parent 1: classid 1:1 htb rate 200mbit ceil 200mbit burst 25000 cburst 25000 quantum 200000
tc -n c3-pod1-spine0 qdisc add dev super0 root handle 1: htb default 1
tc -n c3-pod1-spine0 class add dev super0 parent 1: classid 1:1 htb rate 400mbit ceil 400mbit burst 50000 cburst 50000 quantum 200000
tc -n c3-pod1-spine0 qdisc add dev super1 root handle 1: htb default 1
tc -n c3-pod1-spine0 class add dev super1 parent 1: classid 1:1 htb rate 400mbit ceil 400mbit burst 50000 cburst 50000 quantum 200000
tc -n c3-pod1-spine0 qdisc add dev super0 parent 1:1 handle 10: netem delay 10us limit 1000
tc -n c3-pod1-spine0 qdisc add dev super1 parent 1:1 handle 10: netem delay 10us limit 1000
tc -n c3-pod1-spine1 qdisc add dev pod1-leaf0 root handle 1: htb default 1
tc -n c3-pod1-spine1 class add dev pod1-leaf0 parent 1: classid 1:1 htb rate 200mbit ceil 200mbit burst 25000 cburst 25000 quantum 200000
tc -n c3-pod1-spine1 qdisc add dev pod1-leaf1 root handle 1: htb default 1
tc -n c3-pod1-spine1 class add dev pod1-leaf1 parent 1: classid 1:1 htb rate 200mbit ceil 200mbit burst 25000 cburst 25000 quantum 200000
tc -n c3-pod1-spine1 qdisc add dev super0 root handle 1: htb default 1
tc -n c3-pod1-spine1 class add dev super0 parent 1: classid 1:1 htb rate 400mbit ceil 400mbit burst 50000 cburst 50000 quantum 200000
tc -n c3-pod1-spine1 qdisc add dev super1 root handle 1: htb default 1
tc -n c3-pod1-spine1 class add dev super1 parent 1: classid 1:1 htb rate 400mbit ceil 400mbit burst 50000 cburst 50000 quantum 200000
tc -n c3-pod1-spine1 qdisc add dev super0 parent 1:1 handle 10: netem delay 10us limit 1000
tc -n c3-pod1-spine1 qdisc add dev super1 parent 1:1 handle 10: netem delay 10us limit 1000
tc -n c3-super0 qdisc add dev pod0-spine0 root handle 1: htb default 1
tc -n c3-super0 class add dev pod0-spine0 parent 1: classid 1:1 htb rate 400mbit ceil 400mbit burst 50000 cburst 50000 quantum 200000
tc -n c3-super0 qdisc add dev pod0-spine1 root handle 1: htb default 1
tc -n c3-super0 class add dev pod0-spine1 parent 1: classid 1:1 htb rate 400mbit ceil 400mbit burst 50000 cburst 50000 quantum 200000
tc -n c3-super0 qdisc add dev pod1-spine0 root handle 1: htb default 1
tc -n c3-super0 class add dev pod1-spine0 parent 1: classid 1:1 htb rate 400mbit ceil 400mbit burst 50000 cburst 50000 quantum 200000
tc -n c3-super0 qdisc add dev pod1-spine1 root handle 1: htb default 1
tc -n c3-super0 class add dev pod1-spine1 parent 1: classid 1:1 htb rate 400mbit ceil 400mbit burst 50000 cburst 50000 quantum 200000
tc -n c3-super0 qdisc add dev pod0-spine0 parent 1:1 handle 10: netem delay 10us limit 1000
tc -n c3-super0 qdisc add dev pod0-spine1 parent 1:1 handle 10: netem delay 10us limit 1000
tc -n c3-super0 qdisc add dev pod1-spine0 parent 1:1 handle 10: netem delay 10us limit 1000
tc -n c3-super0 qdisc add dev pod1-spine1 parent 1:1 handle 10: netem delay 10us limit 1000
tc -n c3-super1 qdisc add dev pod0-spine0 root handle 1: htb default 1
tc -n c3-super1 class add dev pod0-spine0 parent 1: classid 1:1 htb rate 400mbit ceil 400mbit burst 50000 cburst 50000 quantum 200000
tc -n c3-super1 qdisc add dev pod0-spine1 root handle 1: htb default 1
tc -n c3-super1 class add dev pod0-spine1 parent 1: classid 1:1 htb rate 400mbit ceil 400mbit burst 50000 cburst 50000 quantum 200000
tc -n c3-super1 qdisc add dev pod1-spine0 root handle 1: htb default 1
tc -n c3-super1 class add dev pod1-spine0 parent 1: classid 1:1 htb rate 400mbit ceil 400mbit burst 50000 cburst 50000 quantum 200000
tc -n c3-super1 qdisc add dev pod1-spine1 root handle 1: htb default 1
tc -n c3-super1 class add dev pod1-spine1 parent 1: classid 1:1 htb rate 400mbit ceil 400mbit burst 50000 cburst 50000 quantum 200000
tc -n c3-super1 qdisc add dev pod0-spine0 parent 1:1 handle 10: netem delay 10us limit 1000
tc -n c3-super1 qdisc add dev pod0-spine1 parent 1:1 handle 10: netem delay 10us limit 1000
tc -n c3-super1 qdisc add dev pod1-spine0 parent 1:1 handle 10: netem delay 10us limit 1000
tc -n c3-super1 qdisc add dev pod1-spine1 parent 1:1 handle 10: netem delay 10us limit 1000
