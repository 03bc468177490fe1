ip netns add v1-server0
ip netns add v1-server1
ip netns add v1-rail0
ip netns add v1-rail1
ip netns add v1-spine0
ip netns add v1-mgmt
ip netns exec v1-server0 sysctl -q -w net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 net.ipv4.fib_multipath_hash_policy=1 net.ipv4.ip_forward=0 net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip netns exec v1-server1 sysctl -q -w net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 net.ipv4.fib_multipath_hash_policy=1 net.ipv4.ip_forward=0 net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip netns exec v1-rail0 sysctl -q -w net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 net.ipv4.ip_forward=0 net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip netns exec v1-rail1 sysctl -q -w net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 net.ipv4.ip_forward=0 net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip netns exec v1-spine0 sysctl -q -w net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 net.ipv4.fib_multipath_hash_policy=1 net.ipv4.ip_forward=1 net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip netns exec v1-mgmt sysctl -q -w net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 net.ipv4.ip_forward=0 net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip -n v1-server0 link add rail0 mtu 9000 type veth peer name server0 mtu 9000 netns v1-rail0
ip -n v1-server0 link add rail1 mtu 9000 type veth peer name server0 mtu 9000 netns v1-rail1
ip -n v1-server0 link add mgmt0 mtu 1500 type veth peer name server0 mtu 1500 netns v1-mgmt
ip -n v1-server1 link add rail0 mtu 9000 type veth peer name server1 mtu 9000 netns v1-rail0
ip -n v1-server1 link add rail1 mtu 9000 type veth peer name server1 mtu 9000 netns v1-rail1
ip -n v1-server1 link add mgmt0 mtu 1500 type veth peer name server1 mtu 1500 netns v1-mgmt
ip -n v1-rail0 link add br0 mtu 9000 type bridge
ip -n v1-rail0 link add spine0 mtu 9000 type veth peer name rail0 mtu 9000 netns v1-spine0
ip -n v1-rail1 link add br0 mtu 9000 type bridge
ip -n v1-rail1 link add spine0 mtu 9000 type veth peer name rail1 mtu 9000 netns v1-spine0
ip -n v1-mgmt link add mgmt mtu 1500 type bridge
ip -n v1-server0 link add link rail0 name rail0.100 mtu 9000 type vlan id 100
ip -n v1-server0 link add link rail1 name rail1.101 mtu 9000 type vlan id 101
ip -n v1-server0 link set lo alias aifabric-fabric:v1
ip -n v1-server0 link set lo up
ip -n v1-server0 link set rail0 up
ip -n v1-server0 link set rail1 up
ip -n v1-server0 link set mgmt0 up
ip -n v1-server0 link set rail0.100 up
ip -n v1-server0 link set rail1.101 up
ip -n v1-server0 addr add 10.0.0.2/29 dev rail0.100
ip -n v1-server0 addr add 10.0.0.10/29 dev rail1.101
ip -n v1-server0 addr add 172.31.0.10/16 dev mgmt0
ip -n v1-server0 route add 10.0.0.0/16 nexthop via 10.0.0.1 dev rail0.100 nexthop via 10.0.0.9 dev rail1.101
ip -n v1-server1 link add link rail0 name rail0.100 mtu 9000 type vlan id 100
ip -n v1-server1 link add link rail1 name rail1.101 mtu 9000 type vlan id 101
ip -n v1-server1 link set lo alias aifabric-fabric:v1
ip -n v1-server1 link set lo up
ip -n v1-server1 link set rail0 up
ip -n v1-server1 link set rail1 up
ip -n v1-server1 link set mgmt0 up
ip -n v1-server1 link set rail0.100 up
ip -n v1-server1 link set rail1.101 up
ip -n v1-server1 addr add 10.0.0.3/29 dev rail0.100
ip -n v1-server1 addr add 10.0.0.11/29 dev rail1.101
ip -n v1-server1 addr add 172.31.0.11/16 dev mgmt0
ip -n v1-server1 route add 10.0.0.0/16 nexthop via 10.0.0.1 dev rail0.100 nexthop via 10.0.0.9 dev rail1.101
ip -n v1-rail0 link add link server0 name server0.100 mtu 9000 type vlan id 100
ip -n v1-rail0 link add link server1 name server1.100 mtu 9000 type vlan id 100
ip -n v1-rail0 link set lo alias aifabric-fabric:v1
ip -n v1-rail0 link set server0.100 master br0
ip -n v1-rail0 link set server1.100 master br0
ip -n v1-rail0 link set spine0 master br0
ip -n v1-rail0 link set lo up
ip -n v1-rail0 link set server0 up
ip -n v1-rail0 link set server1 up
ip -n v1-rail0 link set br0 up
ip -n v1-rail0 link set spine0 up
ip -n v1-rail0 link set server0.100 up
ip -n v1-rail0 link set server1.100 up
ip -n v1-rail1 link add link server0 name server0.101 mtu 9000 type vlan id 101
ip -n v1-rail1 link add link server1 name server1.101 mtu 9000 type vlan id 101
ip -n v1-rail1 link set lo alias aifabric-fabric:v1
ip -n v1-rail1 link set server0.101 master br0
ip -n v1-rail1 link set server1.101 master br0
ip -n v1-rail1 link set spine0 master br0
ip -n v1-rail1 link set lo up
ip -n v1-rail1 link set server0 up
ip -n v1-rail1 link set server1 up
ip -n v1-rail1 link set br0 up
ip -n v1-rail1 link set spine0 up
ip -n v1-rail1 link set server0.101 up
ip -n v1-rail1 link set server1.101 up
ip -n v1-spine0 link set lo alias aifabric-fabric:v1
ip -n v1-spine0 link set lo up
ip -n v1-spine0 link set rail0 up
ip -n v1-spine0 link set rail1 up
ip -n v1-spine0 addr add 10.0.0.1/29 dev rail0
ip -n v1-spine0 addr add 10.0.0.9/29 dev rail1
ip -n v1-mgmt link set lo alias aifabric-fabric:v1
ip -n v1-mgmt link set server0 master mgmt
ip -n v1-mgmt link set server1 master mgmt
ip -n v1-mgmt link set lo up
ip -n v1-mgmt link set server0 up
ip -n v1-mgmt link set server1 up
ip -n v1-mgmt link set mgmt up
tc -n v1-rail0 qdisc add dev spine0 root handle 1: htb default 1
tc -n v1-rail0 class add dev spine0 parent 1: classid 1:1 htb rate 1gbit ceil 1gbit burst 125000 cburst 125000 quantum 200000
tc -n v1-rail0 qdisc add dev server0 root handle 1: htb default 1
tc -n v1-rail0 class add dev server0 parent 1: classid 1:1 htb rate 1gbit ceil 1gbit burst 125000 cburst 125000 quantum 200000
tc -n v1-rail0 qdisc add dev server1 root handle 1: htb default 1
tc -n v1-rail0 class add dev server1 parent 1: classid 1:1 htb rate 1gbit ceil 1gbit burst 125000 cburst 125000 quantum 200000
tc -n v1-rail1 qdisc add dev spine0 root handle 1: htb default 1
tc -n v1-rail1 class add dev spine0 parent 1: classid 1:1 htb rate 1gbit ceil 1gbit burst 125000 cburst 125000 quantum 200000
tc -n v1-rail1 qdisc add dev server0 root handle 1: htb default 1
tc -n v1-rail1 class add dev server0 parent 1: classid 1:1 htb rate 1gbit ceil 1gbit burst 125000 cburst 125000 quantum 200000
tc -n v1-rail1 qdisc add dev server1 root handle 1: htb default 1
tc -n v1-rail1 class add dev server1 parent 1: classid 1:1 htb rate 1gbit ceil 1gbit burst 125000 cburst 125000 quantum 200000
tc -n v1-spine0 qdisc add dev rail0 root handle 1: htb default 1
tc -n v1-spine0 class add dev rail0 parent 1: classid 1:1 htb rate 1gbit ceil 1gbit burst 125000 cburst 125000 quantum 200000
tc -n v1-spine0 qdisc add dev rail1 root handle 1: htb default 1
tc -n v1-spine0 class add dev rail1 parent 1: classid 1:1 htb rate 1gbit ceil 1gbit burst 125000 cburst 125000 quantum 200000
