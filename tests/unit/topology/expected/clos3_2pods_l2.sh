ip netns add c3b-server0
ip netns add c3b-server1
ip netns add c3b-server2
ip netns add c3b-server3
ip netns add c3b-server4
ip netns add c3b-server5
ip netns add c3b-pod0-leaf0
ip netns add c3b-pod1-leaf0
ip netns add c3b-pod0-spine0
ip netns add c3b-pod0-spine1
ip netns add c3b-pod1-spine0
ip netns add c3b-pod1-spine1
ip netns add c3b-super0
ip netns add c3b-mgmt
ip netns exec c3b-server0 sysctl -q -w net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 net.ipv4.fib_multipath_hash_policy=1 net.ipv4.ip_forward=0 net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip netns exec c3b-server1 sysctl -q -w net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 net.ipv4.fib_multipath_hash_policy=1 net.ipv4.ip_forward=0 net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip netns exec c3b-server2 sysctl -q -w net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 net.ipv4.fib_multipath_hash_policy=1 net.ipv4.ip_forward=0 net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip netns exec c3b-server3 sysctl -q -w net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 net.ipv4.fib_multipath_hash_policy=1 net.ipv4.ip_forward=0 net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip netns exec c3b-server4 sysctl -q -w net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 net.ipv4.fib_multipath_hash_policy=1 net.ipv4.ip_forward=0 net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip netns exec c3b-server5 sysctl -q -w net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 net.ipv4.fib_multipath_hash_policy=1 net.ipv4.ip_forward=0 net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip netns exec c3b-pod0-leaf0 sysctl -q -w net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 net.ipv4.ip_forward=0 net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip netns exec c3b-pod1-leaf0 sysctl -q -w net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 net.ipv4.ip_forward=0 net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip netns exec c3b-pod0-spine0 sysctl -q -w net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 net.ipv4.fib_multipath_hash_policy=1 net.ipv4.ip_forward=1 net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip netns exec c3b-pod0-spine1 sysctl -q -w net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 net.ipv4.fib_multipath_hash_policy=1 net.ipv4.ip_forward=1 net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip netns exec c3b-pod1-spine0 sysctl -q -w net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 net.ipv4.fib_multipath_hash_policy=1 net.ipv4.ip_forward=1 net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip netns exec c3b-pod1-spine1 sysctl -q -w net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 net.ipv4.fib_multipath_hash_policy=1 net.ipv4.ip_forward=1 net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip netns exec c3b-super0 sysctl -q -w net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 net.ipv4.fib_multipath_hash_policy=1 net.ipv4.ip_forward=1 net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip netns exec c3b-mgmt sysctl -q -w net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 net.ipv4.ip_forward=0 net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip -n c3b-server0 link add fab0 mtu 9000 type veth peer name server0 mtu 9000 netns c3b-pod0-leaf0
ip -n c3b-server0 link add mgmt0 mtu 1500 type veth peer name server0 mtu 1500 netns c3b-mgmt
ip -n c3b-server1 link add fab0 mtu 9000 type veth peer name server1 mtu 9000 netns c3b-pod0-leaf0
ip -n c3b-server1 link add mgmt0 mtu 1500 type veth peer name server1 mtu 1500 netns c3b-mgmt
ip -n c3b-server2 link add fab0 mtu 9000 type veth peer name server2 mtu 9000 netns c3b-pod0-leaf0
ip -n c3b-server2 link add mgmt0 mtu 1500 type veth peer name server2 mtu 1500 netns c3b-mgmt
ip -n c3b-server3 link add fab0 mtu 9000 type veth peer name server3 mtu 9000 netns c3b-pod1-leaf0
ip -n c3b-server3 link add mgmt0 mtu 1500 type veth peer name server3 mtu 1500 netns c3b-mgmt
ip -n c3b-server4 link add fab0 mtu 9000 type veth peer name server4 mtu 9000 netns c3b-pod1-leaf0
ip -n c3b-server4 link add mgmt0 mtu 1500 type veth peer name server4 mtu 1500 netns c3b-mgmt
ip -n c3b-server5 link add fab0 mtu 9000 type veth peer name server5 mtu 9000 netns c3b-pod1-leaf0
ip -n c3b-server5 link add mgmt0 mtu 1500 type veth peer name server5 mtu 1500 netns c3b-mgmt
ip -n c3b-pod0-leaf0 link add br0 mtu 9000 type bridge
ip -n c3b-pod0-leaf0 link add pod0-spine0 mtu 9000 type veth peer name pod0-leaf0 mtu 9000 netns c3b-pod0-spine0
ip -n c3b-pod0-leaf0 link add pod0-spine1 mtu 9000 type veth peer name pod0-leaf0 mtu 9000 netns c3b-pod0-spine1
ip -n c3b-pod1-leaf0 link add br0 mtu 9000 type bridge
ip -n c3b-pod1-leaf0 link add pod1-spine0 mtu 9000 type veth peer name pod1-leaf0 mtu 9000 netns c3b-pod1-spine0
ip -n c3b-pod1-leaf0 link add pod1-spine1 mtu 9000 type veth peer name pod1-leaf0 mtu 9000 netns c3b-pod1-spine1
ip -n c3b-pod0-spine0 link add super0 mtu 9000 type veth peer name pod0-spine0 mtu 9000 netns c3b-super0
ip -n c3b-pod0-spine1 link add super0 mtu 9000 type veth peer name pod0-spine1 mtu 9000 netns c3b-super0
ip -n c3b-pod1-spine0 link add super0 mtu 9000 type veth peer name pod1-spine0 mtu 9000 netns c3b-super0
ip -n c3b-pod1-spine1 link add super0 mtu 9000 type veth peer name pod1-spine1 mtu 9000 netns c3b-super0
ip -n c3b-mgmt link add mgmt mtu 1500 type bridge
ip -n c3b-server0 link set lo alias aifabric-fabric:c3b
ip -n c3b-server0 link set lo up
ip -n c3b-server0 link set fab0 up
ip -n c3b-server0 link set mgmt0 up
ip -n c3b-server0 addr add 10.0.0.3/29 dev fab0
ip -n c3b-server0 addr add 172.31.0.10/16 dev mgmt0
ip -n c3b-server0 route add 10.0.0.0/16 nexthop via 10.0.0.1 dev fab0 nexthop via 10.0.0.2 dev fab0
ip -n c3b-server1 link set lo alias aifabric-fabric:c3b
ip -n c3b-server1 link set lo up
ip -n c3b-server1 link set fab0 up
ip -n c3b-server1 link set mgmt0 up
ip -n c3b-server1 addr add 10.0.0.4/29 dev fab0
ip -n c3b-server1 addr add 172.31.0.11/16 dev mgmt0
ip -n c3b-server1 route add 10.0.0.0/16 nexthop via 10.0.0.1 dev fab0 nexthop via 10.0.0.2 dev fab0
ip -n c3b-server2 link set lo alias aifabric-fabric:c3b
ip -n c3b-server2 link set lo up
ip -n c3b-server2 link set fab0 up
ip -n c3b-server2 link set mgmt0 up
ip -n c3b-server2 addr add 10.0.0.5/29 dev fab0
ip -n c3b-server2 addr add 172.31.0.12/16 dev mgmt0
ip -n c3b-server2 route add 10.0.0.0/16 nexthop via 10.0.0.1 dev fab0 nexthop via 10.0.0.2 dev fab0
ip -n c3b-server3 link set lo alias aifabric-fabric:c3b
ip -n c3b-server3 link set lo up
ip -n c3b-server3 link set fab0 up
ip -n c3b-server3 link set mgmt0 up
ip -n c3b-server3 addr add 10.0.0.11/29 dev fab0
ip -n c3b-server3 addr add 172.31.0.13/16 dev mgmt0
ip -n c3b-server3 route add 10.0.0.0/16 nexthop via 10.0.0.9 dev fab0 nexthop via 10.0.0.10 dev fab0
ip -n c3b-server4 link set lo alias aifabric-fabric:c3b
ip -n c3b-server4 link set lo up
ip -n c3b-server4 link set fab0 up
ip -n c3b-server4 link set mgmt0 up
ip -n c3b-server4 addr add 10.0.0.12/29 dev fab0
ip -n c3b-server4 addr add 172.31.0.14/16 dev mgmt0
ip -n c3b-server4 route add 10.0.0.0/16 nexthop via 10.0.0.9 dev fab0 nexthop via 10.0.0.10 dev fab0
ip -n c3b-server5 link set lo alias aifabric-fabric:c3b
ip -n c3b-server5 link set lo up
ip -n c3b-server5 link set fab0 up
ip -n c3b-server5 link set mgmt0 up
ip -n c3b-server5 addr add 10.0.0.13/29 dev fab0
ip -n c3b-server5 addr add 172.31.0.15/16 dev mgmt0
ip -n c3b-server5 route add 10.0.0.0/16 nexthop via 10.0.0.9 dev fab0 nexthop via 10.0.0.10 dev fab0
ip -n c3b-pod0-leaf0 link set lo alias aifabric-fabric:c3b
ip -n c3b-pod0-leaf0 link set pod0-spine0 master br0
ip -n c3b-pod0-leaf0 link set pod0-spine1 master br0
ip -n c3b-pod0-leaf0 link set server0 master br0
ip -n c3b-pod0-leaf0 link set server1 master br0
ip -n c3b-pod0-leaf0 link set server2 master br0
ip -n c3b-pod0-leaf0 link set lo up
ip -n c3b-pod0-leaf0 link set server0 up
ip -n c3b-pod0-leaf0 link set server1 up
ip -n c3b-pod0-leaf0 link set server2 up
ip -n c3b-pod0-leaf0 link set br0 up
ip -n c3b-pod0-leaf0 link set pod0-spine0 up
ip -n c3b-pod0-leaf0 link set pod0-spine1 up
ip -n c3b-pod1-leaf0 link set lo alias aifabric-fabric:c3b
ip -n c3b-pod1-leaf0 link set pod1-spine0 master br0
ip -n c3b-pod1-leaf0 link set pod1-spine1 master br0
ip -n c3b-pod1-leaf0 link set server3 master br0
ip -n c3b-pod1-leaf0 link set server4 master br0
ip -n c3b-pod1-leaf0 link set server5 master br0
ip -n c3b-pod1-leaf0 link set lo up
ip -n c3b-pod1-leaf0 link set server3 up
ip -n c3b-pod1-leaf0 link set server4 up
ip -n c3b-pod1-leaf0 link set server5 up
ip -n c3b-pod1-leaf0 link set br0 up
ip -n c3b-pod1-leaf0 link set pod1-spine0 up
ip -n c3b-pod1-leaf0 link set pod1-spine1 up
ip -n c3b-pod0-spine0 link set lo alias aifabric-fabric:c3b
ip -n c3b-pod0-spine0 link set lo up
ip -n c3b-pod0-spine0 link set pod0-leaf0 up
ip -n c3b-pod0-spine0 link set super0 up
ip -n c3b-pod0-spine0 addr add 10.0.0.1/29 dev pod0-leaf0
ip -n c3b-pod0-spine0 addr add 10.0.0.17/31 dev super0
ip -n c3b-pod0-spine0 route add 10.0.0.0/16 via 10.0.0.16 dev super0
ip -n c3b-pod0-spine1 link set lo alias aifabric-fabric:c3b
ip -n c3b-pod0-spine1 link set lo up
ip -n c3b-pod0-spine1 link set pod0-leaf0 up
ip -n c3b-pod0-spine1 link set super0 up
ip -n c3b-pod0-spine1 addr add 10.0.0.2/29 dev pod0-leaf0
ip -n c3b-pod0-spine1 addr add 10.0.0.19/31 dev super0
ip -n c3b-pod0-spine1 route add 10.0.0.0/16 via 10.0.0.18 dev super0
ip -n c3b-pod1-spine0 link set lo alias aifabric-fabric:c3b
ip -n c3b-pod1-spine0 link set lo up
ip -n c3b-pod1-spine0 link set pod1-leaf0 up
ip -n c3b-pod1-spine0 link set super0 up
ip -n c3b-pod1-spine0 addr add 10.0.0.9/29 dev pod1-leaf0
ip -n c3b-pod1-spine0 addr add 10.0.0.21/31 dev super0
ip -n c3b-pod1-spine0 route add 10.0.0.0/16 via 10.0.0.20 dev super0
ip -n c3b-pod1-spine1 link set lo alias aifabric-fabric:c3b
ip -n c3b-pod1-spine1 link set lo up
ip -n c3b-pod1-spine1 link set pod1-leaf0 up
ip -n c3b-pod1-spine1 link set super0 up
ip -n c3b-pod1-spine1 addr add 10.0.0.10/29 dev pod1-leaf0
ip -n c3b-pod1-spine1 addr add 10.0.0.23/31 dev super0
ip -n c3b-pod1-spine1 route add 10.0.0.0/16 via 10.0.0.22 dev super0
ip -n c3b-super0 link set lo alias aifabric-fabric:c3b
ip -n c3b-super0 link set lo up
ip -n c3b-super0 link set pod0-spine0 up
ip -n c3b-super0 link set pod0-spine1 up
ip -n c3b-super0 link set pod1-spine0 up
ip -n c3b-super0 link set pod1-spine1 up
ip -n c3b-super0 addr add 10.0.0.16/31 dev pod0-spine0
ip -n c3b-super0 addr add 10.0.0.18/31 dev pod0-spine1
ip -n c3b-super0 addr add 10.0.0.20/31 dev pod1-spine0
ip -n c3b-super0 addr add 10.0.0.22/31 dev pod1-spine1
ip -n c3b-super0 route add 10.0.0.0/29 nexthop via 10.0.0.17 dev pod0-spine0 nexthop via 10.0.0.19 dev pod0-spine1
ip -n c3b-super0 route add 10.0.0.8/29 nexthop via 10.0.0.21 dev pod1-spine0 nexthop via 10.0.0.23 dev pod1-spine1
ip -n c3b-mgmt link set lo alias aifabric-fabric:c3b
ip -n c3b-mgmt link set server0 master mgmt
ip -n c3b-mgmt link set server1 master mgmt
ip -n c3b-mgmt link set server2 master mgmt
ip -n c3b-mgmt link set server3 master mgmt
ip -n c3b-mgmt link set server4 master mgmt
ip -n c3b-mgmt link set server5 master mgmt
ip -n c3b-mgmt link set lo up
ip -n c3b-mgmt link set server0 up
ip -n c3b-mgmt link set server1 up
ip -n c3b-mgmt link set server2 up
ip -n c3b-mgmt link set server3 up
ip -n c3b-mgmt link set server4 up
ip -n c3b-mgmt link set server5 up
ip -n c3b-mgmt link set mgmt up
tc -n c3b-pod0-leaf0 qdisc add dev pod0-spine0 root handle 1: htb default 1
tc -n c3b-pod0-leaf0 class add dev pod0-spine0 parent 1: classid 1:1 htb rate 1gbit ceil 1gbit burst 125000 cburst 125000 quantum 200000
tc -n c3b-pod0-leaf0 qdisc add dev pod0-spine1 root handle 1: htb default 1
tc -n c3b-pod0-leaf0 class add dev pod0-spine1 parent 1: classid 1:1 htb rate 1gbit ceil 1gbit burst 125000 cburst 125000 quantum 200000
tc -n c3b-pod0-leaf0 qdisc add dev server0 root handle 1: htb default 1
tc -n c3b-pod0-leaf0 class add dev server0 parent 1: classid 1:1 htb rate 1gbit ceil 1gbit burst 125000 cburst 125000 quantum 200000
tc -n c3b-pod0-leaf0 qdisc add dev server1 root handle 1: htb default 1
tc -n c3b-pod0-leaf0 class add dev server1 parent 1: classid 1:1 htb rate 1gbit ceil 1gbit burst 125000 cburst 125000 quantum 200000
tc -n c3b-pod0-leaf0 qdisc add dev server2 root handle 1: htb default 1
tc -n c3b-pod0-leaf0 class add dev server2 parent 1: classid 1:1 htb rate 1gbit ceil 1gbit burst 125000 cburst 125000 quantum 200000
tc -n c3b-pod1-leaf0 qdisc add dev pod1-spine0 root handle 1: htb default 1
tc -n c3b-pod1-leaf0 class add dev pod1-spine0 parent 1: classid 1:1 htb rate 1gbit ceil 1gbit burst 125000 cburst 125000 quantum 200000
tc -n c3b-pod1-leaf0 qdisc add dev pod1-spine1 root handle 1: htb default 1
tc -n c3b-pod1-leaf0 class add dev pod1-spine1 parent 1: classid 1:1 htb rate 1gbit ceil 1gbit burst 125000 cburst 125000 quantum 200000
tc -n c3b-pod1-leaf0 qdisc add dev server3 root handle 1: htb default 1
tc -n c3b-pod1-leaf0 class add dev server3 parent 1: classid 1:1 htb rate 1gbit ceil 1gbit burst 125000 cburst 125000 quantum 200000
tc -n c3b-pod1-leaf0 qdisc add dev server4 root handle 1: htb default 1
tc -n c3b-pod1-leaf0 class add dev server4 parent 1: classid 1:1 htb rate 1gbit ceil 1gbit burst 125000 cburst 125000 quantum 200000
tc -n c3b-pod1-leaf0 qdisc add dev server5 root handle 1: htb default 1
tc -n c3b-pod1-leaf0 class add dev server5 parent 1: classid 1:1 htb rate 1gbit ceil 1gbit burst 125000 cburst 125000 quantum 200000
tc -n c3b-pod0-spine0 qdisc add dev pod0-leaf0 root handle 1: htb default 1
tc -n c3b-pod0-spine0 class add dev pod0-leaf0 parent 1: classid 1:1 htb rate 1gbit ceil 1gbit burst 125000 cburst 125000 quantum 200000
tc -n c3b-pod0-spine0 qdisc add dev super0 root handle 1: htb default 1
tc -n c3b-pod0-spine0 class add dev super0 parent 1: classid 1:1 htb rate 1gbit ceil 1gbit burst 125000 cburst 125000 quantum 200000
tc -n c3b-pod0-spine1 qdisc add dev pod0-leaf0 root handle 1: htb default 1
tc -n c3b-pod0-spine1 class add dev pod0-leaf0 parent 1: classid 1:1 htb rate 1gbit ceil 1gbit burst 125000 cburst 125000 quantum 200000
tc -n c3b-pod0-spine1 qdisc add dev super0 root handle 1: htb default 1
tc -n c3b-pod0-spine1 class add dev super0 parent 1: classid 1:1 htb rate 1gbit ceil 1gbit burst 125000 cburst 125000 quantum 200000
tc -n c3b-pod1-spine0 qdisc add dev pod1-leaf0 root handle 1: htb default 1
tc -n c3b-pod1-spine0 class add dev pod1-leaf0 parent 1: classid 1:1 htb rate 1gbit ceil 1gbit burst 125000 cburst 125000 quantum 200000
tc -n c3b-pod1-spine0 qdisc add dev super0 root handle 1: htb default 1
tc -n c3b-pod1-spine0 class add dev super0 parent 1: classid 1:1 htb rate 1gbit ceil 1gbit burst 125000 cburst 125000 quantum 200000
tc -n c3b-pod1-spine1 qdisc add dev pod1-leaf0 root handle 1: htb default 1
tc -n c3b-pod1-spine1 class add dev pod1-leaf0 parent 1: classid 1:1 htb rate 1gbit ceil 1gbit burst 125000 cburst 125000 quantum 200000
tc -n c3b-pod1-spine1 qdisc add dev super0 root handle 1: htb default 1
tc -n c3b-pod1-spine1 class add dev super0 parent 1: classid 1:1 htb rate 1gbit ceil 1gbit burst 125000 cburst 125000 quantum 200000
tc -n c3b-super0 qdisc add dev pod0-spine0 root handle 1: htb default 1
tc -n c3b-super0 class add dev pod0-spine0 parent 1: classid 1:1 htb rate 1gbit ceil 1gbit burst 125000 cburst 125000 quantum 200000
tc -n c3b-super0 qdisc add dev pod0-spine1 root handle 1: htb default 1
tc -n c3b-super0 class add dev pod0-spine1 parent 1: classid 1:1 htb rate 1gbit ceil 1gbit burst 125000 cburst 125000 quantum 200000
tc -n c3b-super0 qdisc add dev pod1-spine0 root handle 1: htb default 1
tc -n c3b-super0 class add dev pod1-spine0 parent 1: classid 1:1 htb rate 1gbit ceil 1gbit burst 125000 cburst 125000 quantum 200000
tc -n c3b-super0 qdisc add dev pod1-spine1 root handle 1: htb default 1
tc -n c3b-super0 class add dev pod1-spine1 parent 1: classid 1:1 htb rate 1gbit ceil 1gbit burst 125000 cburst 125000 quantum 200000
