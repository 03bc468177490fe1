# host a
ip netns add mh2-server0
ip netns add mh2-server1
ip netns add mh2-mgmt1
ip netns exec mh2-server0 sysctl -q -w net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 net.ipv4.fib_multipath_hash_policy=1 net.ipv4.ip_forward=0 net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip netns exec mh2-server1 sysctl -q -w net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 net.ipv4.fib_multipath_hash_policy=1 net.ipv4.ip_forward=0 net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip netns exec mh2-mgmt1 sysctl -q -w net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 net.ipv4.ip_forward=0 net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip link add fab0 netns mh2-server0 mtu 8950 type vxlan id 5001 local 198.51.100.2 remote 198.51.100.1 dstport 4789
ip link add fab0 netns mh2-server1 mtu 8950 type vxlan id 5002 local 198.51.100.2 remote 198.51.100.1 dstport 4789
ip link add vxmgmt netns mh2-mgmt1 mtu 1450 type vxlan id 4999 local 198.51.100.2 remote 198.51.100.1 dstport 4789
ip -n mh2-server0 link add mgmt0 mtu 1450 type veth peer name server0 mtu 1450 netns mh2-mgmt1
ip -n mh2-server1 link add mgmt0 mtu 1450 type veth peer name server1 mtu 1450 netns mh2-mgmt1
ip -n mh2-mgmt1 link add mgmt mtu 1450 type bridge
ip -n mh2-server0 link set lo alias aifabric-fabric:mh2
ip -n mh2-server0 link set lo up
ip -n mh2-server0 link set fab0 up
ip -n mh2-server0 link set mgmt0 up
ip -n mh2-server0 addr add 10.0.0.2/29 dev fab0
ip -n mh2-server0 addr add 172.31.0.10/16 dev mgmt0
ip -n mh2-server0 route add 10.0.0.0/16 via 10.0.0.1 dev fab0
ip -n mh2-server1 link set lo alias aifabric-fabric:mh2
ip -n mh2-server1 link set lo up
ip -n mh2-server1 link set fab0 up
ip -n mh2-server1 link set mgmt0 up
ip -n mh2-server1 addr add 10.0.0.3/29 dev fab0
ip -n mh2-server1 addr add 172.31.0.11/16 dev mgmt0
ip -n mh2-server1 route add 10.0.0.0/16 via 10.0.0.1 dev fab0
ip -n mh2-mgmt1 link set lo alias aifabric-fabric:mh2
ip -n mh2-mgmt1 link set server0 master mgmt
ip -n mh2-mgmt1 link set server1 master mgmt
ip -n mh2-mgmt1 link set vxmgmt master mgmt
ip -n mh2-mgmt1 link set lo up
ip -n mh2-mgmt1 link set server0 up
ip -n mh2-mgmt1 link set server1 up
ip -n mh2-mgmt1 link set mgmt up
ip -n mh2-mgmt1 link set vxmgmt up
# host b
ip netns add mh2-server2
ip netns add mh2-mgmt2
ip netns exec mh2-server2 sysctl -q -w net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 net.ipv4.fib_multipath_hash_policy=1 net.ipv4.ip_forward=0 net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip netns exec mh2-mgmt2 sysctl -q -w net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 net.ipv4.ip_forward=0 net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip link add fab0 netns mh2-server2 mtu 8950 type vxlan id 5003 local 198.51.100.3 remote 198.51.100.1 dstport 4789
ip link add vxmgmt netns mh2-mgmt2 mtu 1450 type vxlan id 4998 local 198.51.100.3 remote 198.51.100.1 dstport 4789
ip -n mh2-server2 link add mgmt0 mtu 1450 type veth peer name server2 mtu 1450 netns mh2-mgmt2
ip -n mh2-mgmt2 link add mgmt mtu 1450 type bridge
ip -n mh2-server2 link set lo alias aifabric-fabric:mh2
ip -n mh2-server2 link set lo up
ip -n mh2-server2 link set fab0 up
ip -n mh2-server2 link set mgmt0 up
ip -n mh2-server2 addr add 10.0.0.4/29 dev fab0
ip -n mh2-server2 addr add 172.31.0.12/16 dev mgmt0
ip -n mh2-server2 route add 10.0.0.0/16 via 10.0.0.1 dev fab0
ip -n mh2-mgmt2 link set lo alias aifabric-fabric:mh2
ip -n mh2-mgmt2 link set server2 master mgmt
ip -n mh2-mgmt2 link set vxmgmt master mgmt
ip -n mh2-mgmt2 link set lo up
ip -n mh2-mgmt2 link set server2 up
ip -n mh2-mgmt2 link set mgmt up
ip -n mh2-mgmt2 link set vxmgmt up
# host sw
ip netns add mh2-leaf0
ip netns add mh2-spine0
ip netns add mh2-mgmt
ip netns exec mh2-leaf0 sysctl -q -w net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 net.ipv4.ip_forward=0 net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip netns exec mh2-spine0 sysctl -q -w net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 net.ipv4.fib_multipath_hash_policy=1 net.ipv4.ip_forward=1 net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip netns exec mh2-mgmt sysctl -q -w net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 net.ipv4.ip_forward=0 net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip link add server0 netns mh2-leaf0 mtu 8950 type vxlan id 5001 local 198.51.100.1 remote 198.51.100.2 dstport 4789
ip link add server1 netns mh2-leaf0 mtu 8950 type vxlan id 5002 local 198.51.100.1 remote 198.51.100.2 dstport 4789
ip link add server2 netns mh2-leaf0 mtu 8950 type vxlan id 5003 local 198.51.100.1 remote 198.51.100.3 dstport 4789
ip link add vxmgmt1 netns mh2-mgmt mtu 1450 type vxlan id 4999 local 198.51.100.1 remote 198.51.100.2 dstport 4789
ip link add vxmgmt2 netns mh2-mgmt mtu 1450 type vxlan id 4998 local 198.51.100.1 remote 198.51.100.3 dstport 4789
ip -n mh2-leaf0 link add br0 mtu 8950 type bridge
ip -n mh2-leaf0 link add spine0 mtu 8950 type veth peer name leaf0 mtu 8950 netns mh2-spine0
ip -n mh2-mgmt link add mgmt mtu 1450 type bridge
ip -n mh2-leaf0 link set lo alias aifabric-fabric:mh2
ip -n mh2-leaf0 link set server0 master br0
ip -n mh2-leaf0 link set server1 master br0
ip -n mh2-leaf0 link set server2 master br0
ip -n mh2-leaf0 link set spine0 master br0
ip -n mh2-leaf0 link set lo up
ip -n mh2-leaf0 link set br0 up
ip -n mh2-leaf0 link set spine0 up
ip -n mh2-leaf0 link set server0 up
ip -n mh2-leaf0 link set server1 up
ip -n mh2-leaf0 link set server2 up
ip -n mh2-spine0 link set lo alias aifabric-fabric:mh2
ip -n mh2-spine0 link set lo up
ip -n mh2-spine0 link set leaf0 up
ip -n mh2-spine0 addr add 10.0.0.1/29 dev leaf0
ip -n mh2-mgmt link set lo alias aifabric-fabric:mh2
ip -n mh2-mgmt link set vxmgmt1 master mgmt
ip -n mh2-mgmt link set vxmgmt2 master mgmt
ip -n mh2-mgmt link set lo up
ip -n mh2-mgmt link set mgmt up
ip -n mh2-mgmt link set vxmgmt1 up
ip -n mh2-mgmt link set vxmgmt2 up
tc -n mh2-leaf0 qdisc add dev spine0 root handle 1: htb default 1
tc -n mh2-leaf0 class add dev spine0 parent 1: classid 1:1 htb rate 1gbit ceil 1gbit burst 125000 cburst 125000 quantum 200000
tc -n mh2-leaf0 qdisc add dev server0 root handle 1: htb default 1
tc -n mh2-leaf0 class add dev server0 parent 1: classid 1:1 htb rate 1gbit ceil 1gbit burst 125000 cburst 125000 quantum 200000
tc -n mh2-leaf0 qdisc add dev server1 root handle 1: htb default 1
tc -n mh2-leaf0 class add dev server1 parent 1: classid 1:1 htb rate 1gbit ceil 1gbit burst 125000 cburst 125000 quantum 200000
tc -n mh2-leaf0 qdisc add dev server2 root handle 1: htb default 1
tc -n mh2-leaf0 class add dev server2 parent 1: classid 1:1 htb rate 1gbit ceil 1gbit burst 125000 cburst 125000 quantum 200000
tc -n mh2-spine0 qdisc add dev leaf0 root handle 1: htb default 1
tc -n mh2-spine0 class add dev leaf0 parent 1: classid 1:1 htb rate 1gbit ceil 1gbit burst 125000 cburst 125000 quantum 200000
